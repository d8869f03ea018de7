// Configuration from environment variables (documented in README.md): the Node server's and the
// CLI's, and the settings the Worker reads from its vars the same way (src/worker.ts). No imports,
// so the Worker bundle can take it.

/** The embedded PGlite's data directory when TINYCRM_DATA_DIR is not set. */
export const DEFAULT_DATA_DIR = '.tinycrm-data'

export interface NodeConfig {
  port: number
  host: string
  dataDir: string
  databaseUrl?: string
  publicUrl?: string
  /** TINYCRM_SIGNUP: 'closed' lets only the first account sign up. */
  signup: 'open' | 'closed'
  /** Ingest requests allowed per API key per 10 seconds; 0 turns the limit off. */
  ingestRateLimit: number
}

export function readNodeConfig(env: NodeJS.ProcessEnv = process.env): NodeConfig {
  const port = Number.parseInt(env.PORT ?? '8787', 10)
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new Error(`PORT must be a port number, got '${env.PORT}'`)
  }
  const databaseUrl = env.DATABASE_URL?.trim() || undefined
  if (databaseUrl && !/^postgres(ql)?:\/\//.test(databaseUrl)) {
    throw new Error('DATABASE_URL must be a postgres:// or postgresql:// URL')
  }
  const publicUrl = env.TINYCRM_PUBLIC_URL?.trim() || undefined
  if (publicUrl && !URL.canParse(publicUrl)) {
    throw new Error(
      `TINYCRM_PUBLIC_URL must be a URL like https://crm.example.com, got '${publicUrl}'`,
    )
  }
  return {
    port,
    host: env.HOST ?? '127.0.0.1',
    dataDir: env.TINYCRM_DATA_DIR ?? DEFAULT_DATA_DIR,
    databaseUrl,
    publicUrl,
    signup: readSignup(env.TINYCRM_SIGNUP),
    ingestRateLimit: nonNegativeInt(
      env.TINYCRM_INGEST_RATE_LIMIT,
      'TINYCRM_INGEST_RATE_LIMIT',
      10_000,
    ),
  }
}

function nonNegativeInt(value: string | undefined, name: string, fallback: number): number {
  if (value === undefined || value === '') return fallback
  const n = Number(value)
  if (!Number.isInteger(n) || n < 0)
    throw new Error(`${name} must be a whole number >= 0, got '${value}'`)
  return n
}

/** TINYCRM_SIGNUP=closed: only the first account may sign up (self-hosters); default open. */
export function readSignup(value: string | undefined): 'open' | 'closed' {
  const v = value?.trim().toLowerCase() || 'open'
  if (v !== 'open' && v !== 'closed')
    throw new Error(`TINYCRM_SIGNUP must be open or closed, got '${value}'`)
  return v
}
