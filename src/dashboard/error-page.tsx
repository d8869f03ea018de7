// Errors on dashboard pages render as a readable page; the API (/v1) keeps its JSON errors.
import type { Context } from 'hono'
import type { ContentfulStatusCode } from 'hono/utils/http-status'
import { renderToString } from 'preact-render-to-string'
import type { HonoEnv } from '../env.js'
import { ErrorPage } from '../../views/layout.js'

/** A browser or htmx asking for a page (not a script calling the API) gets HTML. */
export function wantsHtml(c: Context<HonoEnv>): boolean {
  const path = c.req.path
  if (path === '/v1' || path.startsWith('/v1/')) return false
  return (
    c.req.header('HX-Request') === 'true' || (c.req.header('Accept') ?? '').includes('text/html')
  )
}

export function renderErrorPage(
  c: Context<HonoEnv>,
  status: ContentfulStatusCode,
  message: string,
  requestId: string | undefined,
) {
  const page = (
    <ErrorPage
      status={status}
      message={message}
      requestId={status >= 500 ? requestId : undefined}
      userEmail={c.var.user?.email}
      csrfToken={c.var.csrfToken}
    />
  )
  return c.html('<!doctype html>' + renderToString(page), status)
}
