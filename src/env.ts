// The one environment type of the app, whichever runtime serves it.
import type { Kysely } from 'kysely'
import type { Database } from './db/schema.js'

export interface AppConfig {
  /** The public URL this server is reached at, for install snippets (optional). */
  publicUrl?: string
}

export interface AppDeps {
  db: Kysely<Database>
  config?: AppConfig
}

export type HonoEnv = {
  Variables: {
    db: Kysely<Database>
    config: AppConfig
    requestId: string
  }
}
