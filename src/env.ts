// The one environment type of the app, whichever runtime serves it.
import type { MiddlewareHandler } from 'hono'
import type { Kysely } from 'kysely'
import type { Database } from './db/schema.js'
import type { Flash } from './lib/flash.js'
import type { RateLimiter } from './lib/rate-limit.js'

export interface AppConfig {
  /** The public URL this server is reached at, for install snippets (optional). */
  publicUrl?: string
  /** TINYCRM_SIGNUP: 'open' (default) or 'closed' (only the first account may sign up). */
  signup?: 'open' | 'closed'
  /** A digest of public/assets (Node: computed at start): asset URLs carry it as `?v=`, and a
   *  file asked for with the current one may be kept by the browser for good. */
  assetVersion?: string
  /** The Host names a server bound to loopback answers (src/middleware/host-check); unset:
   *  any. */
  allowedHosts?: string[]
  /** Segments of the customers page counted exactly up to this many customers (default 100,000,
   *  src/customers/summary.ts); past it, estimated from a sample. Tests lower it. */
  exactCountUpTo?: number
}

/** The signed-in dashboard user, set by the session middleware (src/middleware/session). */
export interface SessionUser {
  userId: number
  accountId: number
  email: string
}

export interface AppDeps {
  db: Kysely<Database>
  config?: AppConfig
  /** Serves public/ (/assets/*, /sdk/*) on Node; unset on Workers, where static assets answer
   *  before the app. */
  assets?: MiddlewareHandler
  /** Compresses responses on Node; unset on Workers, where Cloudflare compresses them itself. */
  compression?: MiddlewareHandler
  /** Per-API-key limit on the ingest routes (429 with Retry-After past it); none when unset. */
  ingestLimiter?: RateLimiter
  /** Login attempts per email (before the password is checked; the DB lock-out comes on top). */
  loginLimiter?: RateLimiter
}

export type HonoEnv = {
  Variables: {
    db: Kysely<Database>
    config: AppConfig
    requestId: string
    /** The body limit in force (src/middleware/body-limit): the first one on the way decides. */
    bodyLimit?: number | 'counted-by-route'
    /** Dashboard only: the signed-in user, set by the session middleware. */
    user?: SessionUser
    /** Dashboard only: the CSRF token forms and htmx requests must send back. */
    csrfToken?: string
    /** Dashboard only: the one-time message of the redirect that led here (src/lib/flash.ts). */
    flash?: Flash
  }
}
