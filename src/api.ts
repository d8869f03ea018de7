// The JSON API under /v1: ingest (project keys: identify, ping, batch; and Segment's tracking
// API on the same routes, src/segment/), the billing webhooks
// (Stripe and Paddle, signed), and the account API (account tokens: customers, merges, projects,
// billing connections, saved views). Its own error handler answers every error as the JSON envelope, and its
// catch-all ends every /v1 request here, so nothing outside this sub-app (the dashboard's CSRF
// check, session, HTML pages) ever runs for an API path.
import { Hono } from 'hono/tiny'
import { accountApiRoutes } from './account-api/routes.js'
import { billingApiRoutes, billingWebhookRoutes } from './billing/routes.js'
import type { AppDeps, HonoEnv } from './env.js'
import { ingestRoutes } from './ingest/routes.js'
import { savedViewsApiRoutes } from './saved-views/routes.js'
import { ApiError } from './lib/errors.js'
import { segmentRoutes } from './segment/routes.js'
import { DEFAULT_BODY_BYTES, bodyLimit } from './middleware/body-limit/index.js'
import { onError } from './middleware/on-error/index.js'

export function apiApp(deps: AppDeps) {
  const api = new Hono<HonoEnv>()
  api.onError(onError())
  // Ingest and the billing webhook set their own body limits (32 KB a call, 500 KB a batch; 1 MB
  // an event); every route after them gets the default.
  // Ingest's /identify and /batch take Segment's calls too; Segment's other paths are its own.
  api.route('/', ingestRoutes(deps.ingestLimiter))
  api.route('/', segmentRoutes(deps.ingestLimiter))
  api.route('/', billingWebhookRoutes())
  api.use('*', bodyLimit(DEFAULT_BODY_BYTES))
  api.route('/', accountApiRoutes())
  api.route('/', billingApiRoutes())
  api.route('/', savedViewsApiRoutes())
  api.all('*', function apiNotFound(c) {
    throw new ApiError('not_found', `No route for ${c.req.method} ${c.req.path}`)
  })
  return api
}
