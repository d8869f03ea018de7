// The dashboard: server-rendered pages and htmx fragments for people signed in with a session.
// Its own middleware (body limits, the CSRF check on every form post, the session) and its own
// error handler, which answers a browser with a readable page and a script (the CSV upload's
// fetch) with the JSON envelope.
import type { Context } from 'hono'
import { Hono } from 'hono/tiny'
import { tokenDashboardRoutes } from './account-api/dashboard.js'
import { csvDashboardRoutes } from './csv/routes.js'
import { customerRoutes } from './customers/routes.js'
import { authRoutes } from './auth/routes.js'
import { inviteRoutes, teamRoutes } from './accounts/routes.js'
import type { AppDeps, HonoEnv } from './env.js'
import { ApiError } from './lib/errors.js'
import { mergeDashboardRoutes } from './merges/routes.js'
import { projectRoutes } from './projects/routes.js'
import { DEFAULT_BODY_BYTES, bodyLimit } from './middleware/body-limit/index.js'
import { csrf } from './middleware/csrf/index.js'
import { session } from './middleware/session/index.js'
import { MAX_UPLOAD_BYTES } from './csv/upload.js'
import { jsonError, onError, type ErrorResponder } from './middleware/on-error/index.js'
import { flash } from './middleware/flash/index.js'
import { renderPage } from './lib/render.js'
import { ErrorPage } from '../views/error.js'

/** A browser or htmx asking for a page gets HTML; a script (Accept: application/json) gets JSON. */
function wantsHtml(c: Context<HonoEnv>): boolean {
  return (
    c.req.header('HX-Request') === 'true' || (c.req.header('Accept') ?? '').includes('text/html')
  )
}

const errorPage: ErrorResponder = (c, error, requestId) => {
  if (!wantsHtml(c)) return jsonError(c, error, requestId)
  const page = (
    <ErrorPage
      status={error.status}
      message={error.message}
      requestId={error.status >= 500 ? requestId : undefined}
      userEmail={c.var.user?.email}
      csrfToken={c.var.csrfToken}
    />
  )
  return renderPage(c, page, error.status)
}

export function dashboardApp(deps: AppDeps) {
  const dashboard = new Hono<HonoEnv>()
  dashboard.onError(onError(errorPage))
  // The session first (it reads a cookie, never the body), then the body limits, before anything
  // reads a body (the CSRF check parses form posts). The no-JS upload buffers its multipart form,
  // file included, so it may be big, but only for a signed-in user: a visitor signed out gets the
  // form limit. The streamed upload counts its own bytes as they arrive (after requireUser).
  dashboard.use('*', session())
  dashboard.use(
    '/imports',
    bodyLimit((c) => (c.var.user ? MAX_UPLOAD_BYTES + DEFAULT_BODY_BYTES : DEFAULT_BODY_BYTES)),
  )
  dashboard.use('/imports/stream', bodyLimit('counted-by-route'))
  dashboard.use('*', bodyLimit(DEFAULT_BODY_BYTES))
  dashboard.use('*', csrf())
  dashboard.use('*', flash())
  dashboard.route('/', authRoutes(deps.loginLimiter))
  dashboard.route('/projects', projectRoutes())
  dashboard.route('/customers', customerRoutes())
  dashboard.route('/', csvDashboardRoutes())
  dashboard.route('/', mergeDashboardRoutes())
  dashboard.route('/settings/tokens', tokenDashboardRoutes())
  dashboard.route('/settings/team', teamRoutes())
  dashboard.route('/invite', inviteRoutes())
  dashboard.all('*', function pageNotFound() {
    throw new ApiError(
      'not_found',
      'No page at this address. Check the link, or start again from your customers.',
    )
  })
  return dashboard
}
