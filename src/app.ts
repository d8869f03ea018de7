// The TinyCRM app: the JSON API (/v1, src/api.ts) and the dashboard (everything else,
// src/dashboard.tsx), two sub-apps with their own middleware and error handling, behind the few
// things every response shares (request id, security headers, the database). It does not know
// which runtime serves it; src/node.ts and src/worker.ts hand it a database.
import { Hono } from 'hono/tiny'
import { requestId } from 'hono/request-id'
import { apiApp } from './api.js'
import { dashboardApp } from './dashboard.js'
import { checkDatabase } from './db/health.js'
import type { AppDeps, HonoEnv } from './env.js'
import { hostCheck } from './middleware/host-check/index.js'
import { onError } from './middleware/on-error/index.js'
import { secureHeaders } from './middleware/secure-headers/index.js'

export function createApp(deps: AppDeps) {
  const app = new Hono<HonoEnv>()
  app.onError(onError())

  // Outermost, so it sees every answer as it leaves (Node only: see AppDeps.compression).
  if (deps.compression) app.use('*', deps.compression)
  app.use('*', requestId({ headerName: 'X-Request-Id' }))
  app.use('*', hostCheck(deps.config?.allowedHosts))
  app.use('*', secureHeaders())
  app.use('*', async function provideDeps(c, next) {
    c.set('db', deps.db)
    c.set('config', deps.config ?? {})
    await next()
  })

  if (deps.assets) {
    app.use('/assets/*', deps.assets)
    app.use('/sdk/*', deps.assets)
  }
  app.get('/healthz', async function healthz(c) {
    await checkDatabase(c.var.db)
    return c.json({ ok: true })
  })
  // The API first: its catch-all answers every /v1 path, so the dashboard never sees one. The
  // dashboard's catch-all answers everything else: a route belongs in one of the two sub-apps (one
  // added to the returned app would never be reached).
  app.route('/v1', apiApp(deps))
  app.route('/', dashboardApp(deps))
  return app
}

export type App = ReturnType<typeof createApp>
