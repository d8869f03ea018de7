// The CSV upload form's streaming path (a file, not inline, for the CSP): sends the chosen File as
// the raw request body to the form's data-stream-upload URL, so the server parses it as it arrives
// instead of buffering a multipart form. Without JS (or fetch) the form posts multipart as usual.
;(function () {
  document.addEventListener('submit', function (event) {
    var form = event.target
    if (!form.matches || !form.matches('form[data-stream-upload]') || !window.fetch) return
    var input = form.querySelector('input[type=file]')
    var file = input && input.files && input.files[0]
    if (!file) return // the browser's own `required` check answers
    event.preventDefault()
    var error = document.querySelector('[data-upload-error]')
    var status = form.querySelector('[data-upload-status]')
    var button = form.querySelector('button[type=submit]')
    var show = function (message) {
      if (error) {
        error.textContent = message
        error.hidden = false
      }
      if (status) status.hidden = true
      if (button) button.disabled = false
    }
    if (error) error.hidden = true
    if (status) status.hidden = false
    if (button) button.disabled = true
    var token = form.querySelector('input[name=_csrf]')
    var url =
      form.getAttribute('data-stream-upload') +
      '?project=' +
      encodeURIComponent(form.querySelector('[name=project]').value) +
      '&name=' +
      encodeURIComponent(file.name)
    fetch(url, {
      method: 'POST',
      body: file,
      credentials: 'same-origin',
      headers: {
        'Content-Type': 'text/csv',
        'X-CSRF-Token': token ? token.value : '',
        Accept: 'application/json',
      },
    })
      .then(function (res) {
        // Signed out meanwhile: the route redirected to the login page; come back here after it.
        if (res.redirected) {
          var login = new URL(res.url)
          login.searchParams.set('next', window.location.pathname + window.location.search)
          return window.location.assign(login.toString())
        }
        return res.json().then(
          function (data) {
            if (res.ok && data.location) return window.location.assign(data.location)
            show((data.error && data.error.message) || 'The upload failed (' + res.status + ').')
          },
          function () {
            show('The upload failed (' + res.status + ').')
          },
        )
      })
      .catch(function () {
        show('The upload failed: the connection was lost. Try again.')
      })
  })
})()
