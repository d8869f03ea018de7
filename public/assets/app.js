// TinyCRM's own script (a file, not inline, for the CSP): copy buttons for keys and snippets, and
// the menus made of <details> (the account menu, Save view, a view's ⋯, Rename) closing on Escape
// and, for those that pop over the page, on a click elsewhere, as menus do.
// Everything works without it; the buttons stay hidden until this runs.
;(function () {
  var OPEN_POPUPS = 'details.account-menu[open], details.save-view[open], details.rail-menu[open]'
  var OPEN_MENUS = OPEN_POPUPS + ', details.rename[open]'
  document.addEventListener('keydown', function (event) {
    if (event.key !== 'Escape') return
    // A confirmation open from a menu (Delete a view…) is closed by the browser alone: its menu
    // stays open behind it, focus back on the item that opened it.
    if (document.querySelector('.confirm:popover-open')) return
    var open = document.querySelectorAll(OPEN_MENUS)
    if (!open.length) return
    var active = document.activeElement
    open.forEach(function (menu) {
      menu.open = false
      if (active && menu.contains(active)) menu.querySelector('summary').focus()
    })
    // Escape closed a menu and nothing else (not the customer drawer behind it).
    event.preventDefault()
    event.stopImmediatePropagation()
  })
  document.addEventListener('click', function (event) {
    document.querySelectorAll(OPEN_POPUPS).forEach(function (menu) {
      if (!menu.contains(event.target)) menu.open = false
    })
  })
  function reveal(root) {
    root.querySelectorAll('[data-copy]').forEach(function (button) {
      if (navigator.clipboard) button.hidden = false
    })
  }
  document.addEventListener('DOMContentLoaded', function () {
    reveal(document)
  })
  // htmx 4 swaps new content in; reveal copy buttons that arrive with it.
  document.addEventListener('htmx:after:swap', function () {
    reveal(document)
  })
  document.addEventListener('click', function (event) {
    var button = event.target.closest && event.target.closest('[data-copy]')
    if (!button) return
    var source = document.getElementById(button.getAttribute('data-copy'))
    if (!source) return
    navigator.clipboard.writeText(source.textContent || '').then(function () {
      var label = button.textContent
      button.textContent = 'Copied'
      setTimeout(function () {
        button.textContent = label
      }, 1500)
    })
  })
})()
