// Renders a Preact tree as the response: a whole page, or (for htmx requests) just a fragment.
// A page gets the request's flash and the asset version through PageContext (src/lib/flash.ts),
// so the layout shows them whichever page it wraps.
import type { Context } from 'hono'
import type { ContentfulStatusCode } from 'hono/utils/http-status'
import { h, type VNode } from 'preact'
import { renderToString } from 'preact-render-to-string'
import { PageContext, type Flash } from './flash.js'

/** The variables a page takes from the request (set by the flash middleware and the app). */
type PageVars = { Variables: { flash?: Flash; config?: { assetVersion?: string } } }

export function renderPage(c: Context, page: VNode, status: ContentfulStatusCode = 200) {
  const vars = (c as unknown as Context<PageVars>).var
  const value = { flash: vars.flash, assetVersion: vars.config?.assetVersion }
  return c.html(
    '<!doctype html>' + renderToString(h(PageContext.Provider, { value }, page)),
    status,
  )
}

export function renderFragment(c: Context, fragment: VNode, status: 200 | 400 | 422 = 200) {
  return c.html(renderToString(fragment), status)
}
