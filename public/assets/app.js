// TinyCRM's own script (a file, not inline, for the CSP): copy buttons for keys and snippets.
// Everything works without it; the buttons stay hidden until this runs.
;(function () {
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
