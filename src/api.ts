// The JSON API under /v1: ingest (project keys: identify, ping, batch) and the account API
// (account tokens: customers, merges, projects). Its own error handler answers every error as the
// JSON envelope, and its catch-all ends every /v1 request here, so nothing outside this sub-app
// (the dashboard's CSRF check, session, HTML pages) ever runs for an API path.
import { Hono } from 'hono'
import { accountApiRoutes } from './account-api/routes.js'
import type { AppDeps, HonoEnv } from './env.js'
import { ingestRoutes } from './ingest/routes.js'
import { ApiError } from './lib/errors.js'
import { DEFAULT_BODY_BYTES, bodyLimit } from './middleware/body-limit/index.js'
import { onError } from './middleware/on-error/index.js'

export function apiApp(deps: AppDeps) {
  const api = new Hono<HonoEnv>()
  api.onError(onError())
  // Ingest sets its own, smaller body limits (32 KB a call, 500 KB a batch); every route after it
  // gets the default.
  api.route('/', ingestRoutes(deps.ingestLimiter))
  api.use('*', bodyLimit(DEFAULT_BODY_BYTES))
  api.route('/', accountApiRoutes())
  api.all('*', function apiNotFound(c) {
    throw new ApiError('not_found', `No route for ${c.req.method} ${c.req.path}`)
  })
  return api
}
