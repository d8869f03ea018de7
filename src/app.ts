// The TinyCRM app: one Hono app for the ingest API and the dashboard. It does not know which
// runtime serves it; src/node.ts and src/worker.ts hand it a database.
import { Hono } from 'hono'
import { requestId } from 'hono/request-id'
import { secureHeaders } from 'hono/secure-headers'
import { sql } from 'kysely'
import type { AppDeps, HonoEnv } from './env.js'
import { ApiError, onError } from './lib/errors.js'
import { ingestRoutes } from './ingest/routes.js'
import { csrfProtection } from './auth/csrf.js'
import { authRoutes } from './dashboard/auth-routes.js'
import { projectRoutes } from './dashboard/project-routes.js'
import { customerRoutes } from './customers/routes.js'
import { accountApiRoutes } from './account-api/routes.js'
import { tokenDashboardRoutes } from './account-api/dashboard.js'
import { csvDashboardRoutes } from './csv/routes.js'
import { mergeDashboardRoutes } from './merges/routes.js'

export function createApp(deps: AppDeps) {
  const app = new Hono<HonoEnv>()
  app.onError(onError)
  app.notFound((c) =>
    onError(new ApiError('not_found', `No route for ${c.req.method} ${c.req.path}`), c),
  )

  app.use('*', requestId({ headerName: 'X-Request-Id' }))
  // No inline scripts anywhere: htmx and any other JS are files under /assets. Inline style attributes
  // (badge colours) are allowed; styles cannot run code.
  app.use(
    '*',
    secureHeaders({
      contentSecurityPolicy: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'", "'unsafe-inline'"],
        imgSrc: ["'self'", 'data:'],
        connectSrc: ["'self'"],
        formAction: ["'self'"],
        frameAncestors: ["'none'"],
        baseUri: ["'self'"],
        objectSrc: ["'none'"],
      },
      referrerPolicy: 'strict-origin-when-cross-origin',
      xFrameOptions: 'DENY',
      crossOriginResourcePolicy: false, // the ingest API is called cross-origin by browsers
    }),
  )
  app.use('*', async (c, next) => {
    c.set('db', deps.db)
    c.set('config', deps.config ?? {})
    await next()
  })

  if (deps.assets) app.use('/assets/*', deps.assets)
  // Every non-GET request outside /v1 and /assets must carry the session's CSRF token.
  app.use('*', csrfProtection())

  app.get('/healthz', async (c) => {
    await sql`SELECT 1`.execute(c.var.db)
    return c.json({ ok: true })
  })
  app.route('/v1', ingestRoutes(deps.ingestLimiter))
  app.route('/v1', accountApiRoutes())

  app.route('/', authRoutes(deps.loginLimiter))
  app.route('/projects', projectRoutes())
  app.route('/customers', customerRoutes())
  app.route('/', csvDashboardRoutes())
  app.route('/', mergeDashboardRoutes())
  app.route('/settings/tokens', tokenDashboardRoutes())

  return app
}

export type App = ReturnType<typeof createApp>
