// The one environment type of the app, whichever runtime serves it.
import type { MiddlewareHandler } from 'hono'
import type { Kysely } from 'kysely'
import type { Database } from './db/schema.js'

export interface AppConfig {
  /** The public URL this server is reached at, for install snippets (optional). */
  publicUrl?: string
}

export interface AppDeps {
  db: Kysely<Database>
  config?: AppConfig
  /** Serves public/assets/* on Node; unset on Workers, where static assets answer before the app. */
  assets?: MiddlewareHandler
}

export type HonoEnv = {
  Variables: {
    db: Kysely<Database>
    config: AppConfig
    requestId: string
  }
}
