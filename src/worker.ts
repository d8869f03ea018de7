// Cloudflare Worker entry: the same app as src/node.ts, over Neon's HTTP driver. DATABASE_URL is a
// secret (`wrangler secret put DATABASE_URL`); NEON_FETCH_ENDPOINT is set only by `npm run dev` and
// the workerd tests, to point the driver at the loopback endpoint of src/dev/neon-http-endpoint.ts.
// Static files (public/) are served by Workers assets before this code runs.
import { Hono } from 'hono'
import { requestId } from 'hono/request-id'
import { createApp, type App } from './app.js'
import { openNeonDb } from './db/neon.js'
import type { HonoEnv } from './env.js'
import { ApiError, onError } from './lib/errors.js'

export interface WorkerEnv {
  DATABASE_URL?: string
  NEON_FETCH_ENDPOINT?: string
}

// One app per isolate, rebuilt only if the bindings change (a new secret value, or another test's).
let cached: { key: string; app: App } | undefined

function appFor(databaseUrl: string, fetchEndpoint: string | undefined): App {
  const key = `${databaseUrl}\n${fetchEndpoint ?? ''}`
  if (cached?.key !== key) {
    cached = { key, app: createApp({ db: openNeonDb(databaseUrl, { fetchEndpoint }) }) }
  }
  return cached.app
}

// Without a database every request fails the same way, through the app's one error path.
const unconfigured = new Hono<HonoEnv>()
unconfigured.onError(onError)
unconfigured.use('*', requestId({ headerName: 'X-Request-Id' }))
unconfigured.all('*', () => {
  throw new ApiError(
    'internal',
    'This Worker has no DATABASE_URL: set it with `wrangler secret put DATABASE_URL` (see README)',
  )
})

export default {
  fetch(request, env, ctx) {
    const databaseUrl = env.DATABASE_URL?.trim()
    if (!databaseUrl) return unconfigured.fetch(request, env, ctx)
    return appFor(databaseUrl, env.NEON_FETCH_ENDPOINT || undefined).fetch(request, env, ctx)
  },
} satisfies ExportedHandler<WorkerEnv>
