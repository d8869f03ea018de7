// The TinyCRM app: one Hono app for the ingest API and the dashboard. It does not know which
// runtime serves it; src/node.ts and src/worker.ts hand it a database.
import { Hono } from 'hono'
import { requestId } from 'hono/request-id'
import { sql } from 'kysely'
import type { AppDeps, HonoEnv } from './env.js'
import { ApiError, onError } from './lib/errors.js'
import { ingestRoutes } from './ingest/routes.js'

export function createApp(deps: AppDeps) {
  const app = new Hono<HonoEnv>()
  app.onError(onError)
  app.notFound((c) => onError(new ApiError('not_found', `No route for ${c.req.method} ${c.req.path}`), c))

  app.use('*', requestId({ headerName: 'X-Request-Id' }))
  app.use('*', async (c, next) => {
    c.set('db', deps.db)
    c.set('config', deps.config ?? {})
    await next()
  })

  if (deps.assets) app.use('/assets/*', deps.assets)

  app.get('/healthz', async (c) => {
    await sql`SELECT 1`.execute(c.var.db)
    return c.json({ ok: true })
  })
  app.route('/v1', ingestRoutes(deps.ingestLimiter))

  return app
}

export type App = ReturnType<typeof createApp>
