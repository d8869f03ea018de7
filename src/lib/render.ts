// Renders a Preact tree as the response: a whole page, or (for htmx requests) just a fragment.
import type { Context } from 'hono'
import type { VNode } from 'preact'
import { renderToString } from 'preact-render-to-string'

export function renderPage(
  c: Context,
  page: VNode,
  status: 200 | 400 | 403 | 404 | 422 | 429 = 200,
) {
  return c.html('<!doctype html>' + renderToString(page), status)
}

export function renderFragment(c: Context, fragment: VNode, status: 200 | 400 | 422 = 200) {
  return c.html(renderToString(fragment), status)
}
