// Cloudflare Worker entry: the same app as src/node.ts, over Neon's HTTP driver. DATABASE_URL is a
// secret (`wrangler secret put DATABASE_URL`); NEON_FETCH_ENDPOINT is set only by `npm run dev` and
// the workerd tests, to point the driver at the loopback endpoint of scripts/neon-http-endpoint.ts.
// Static files (public/) are served by Workers assets before this code runs. The Cron Trigger of
// wrangler.toml runs `scheduled`: abandoned CSV imports and old billing event ids expire
// (src/retention.ts).
import { Hono } from 'hono/tiny'
import { requestId } from 'hono/request-id'
import type { Kysely } from 'kysely'
import { createApp, type App } from './app.js'
import { readSignup } from './config.js'
import { openNeonDb } from './db/neon.js'
import type { Database } from './db/schema.js'
import type { AppConfig, HonoEnv } from './env.js'
import { ApiError } from './lib/errors.js'
import { onError } from './middleware/on-error/index.js'
import { LOGIN_RATE_LIMIT, bindingRateLimiter, type RateLimitBinding } from './lib/rate-limit.js'
import { expireOldData } from './retention.js'

export interface WorkerEnv {
  DATABASE_URL?: string
  NEON_FETCH_ENDPOINT?: string
  /** The `[[ratelimits]]` binding of wrangler.toml: ingest requests per API key. */
  INGEST_LIMITER?: RateLimitBinding
  /** `[[ratelimits]]` LOGIN_LIMITER: login attempts per email. */
  LOGIN_LIMITER?: RateLimitBinding
  /** Optional vars, as for `npm start`. */
  TINYCRM_PUBLIC_URL?: string
  TINYCRM_SIGNUP?: string
}

/** The period of INGEST_LIMITER in wrangler.toml (the binding does not report it): Retry-After. */
const INGEST_LIMIT_PERIOD_SECONDS = 10

/** The Worker's vars, read by the same rules as `npm start`'s environment (src/config.ts). A bad
 *  value is an ApiError, so every request answers with the reason. */
function readConfig(env: WorkerEnv): AppConfig {
  try {
    return {
      publicUrl: env.TINYCRM_PUBLIC_URL || undefined,
      signup: readSignup(env.TINYCRM_SIGNUP),
    }
  } catch (err) {
    throw new ApiError('internal', (err as Error).message)
  }
}

// One app per isolate, rebuilt only if the bindings change (a new secret value, or another test's).
let cached: { key: string; app: App; db: Kysely<Database> } | undefined

function appFor(env: WorkerEnv): { app: App; db: Kysely<Database> } {
  const databaseUrl = env.DATABASE_URL?.trim()
  if (!databaseUrl) {
    throw new ApiError(
      'internal',
      'This Worker has no DATABASE_URL: set it with `wrangler secret put DATABASE_URL` (see README)',
    )
  }
  const fetchEndpoint = env.NEON_FETCH_ENDPOINT || undefined
  const key = JSON.stringify([
    databaseUrl,
    fetchEndpoint,
    env.TINYCRM_PUBLIC_URL,
    env.TINYCRM_SIGNUP,
  ])
  if (cached?.key !== key) {
    const db = openNeonDb(databaseUrl, { fetchEndpoint })
    const app = createApp({
      db,
      config: readConfig(env),
      ingestLimiter: env.INGEST_LIMITER
        ? bindingRateLimiter(env.INGEST_LIMITER, INGEST_LIMIT_PERIOD_SECONDS)
        : undefined,
      loginLimiter: env.LOGIN_LIMITER
        ? bindingRateLimiter(env.LOGIN_LIMITER, LOGIN_RATE_LIMIT.periodSeconds)
        : undefined,
    })
    cached = { key, app, db }
  }
  return cached
}

/** A misconfigured Worker answers every request with the reason, through the app's error path. */
function misconfigured(err: unknown) {
  const app = new Hono<HonoEnv>()
  app.onError(onError())
  app.use('*', requestId({ headerName: 'X-Request-Id' }))
  app.all('*', () => {
    throw err
  })
  return app
}

export default {
  fetch(request, env, ctx) {
    let app: App
    try {
      app = appFor(env).app
    } catch (err) {
      return misconfigured(err).fetch(request, env, ctx)
    }
    return app.fetch(request, env, ctx)
  },
  async scheduled(_controller, env) {
    await expireOldData(appFor(env).db)
  },
} satisfies ExportedHandler<WorkerEnv>
