// The Worker side of the db factory: Kysely over Neon's HTTP driver (one fetch per statement).
// `fetchEndpoint` is only set in local development, to point the real driver at the loopback
// endpoint of scripts/neon-http-endpoint.ts; a deployed Worker talks to Neon itself.
import { neon, neonConfig, types } from '@neondatabase/serverless'
import { Kysely, type LogConfig } from 'kysely'
import { NeonDialect } from 'kysely-neon'
import type { Database } from './schema.js'

const INT8_OID = 20
// The driver reads type parsers per query (kysely-neon passes none) or from its global pg-types, not
// from neon()'s options, so int8 is made a number here, once per isolate, as on PGlite and pg.
types.setTypeParser(INT8_OID, Number)

export function openNeonDb(
  databaseUrl: string,
  opts: { fetchEndpoint?: string; log?: LogConfig } = {},
): Kysely<Database> {
  if (opts.fetchEndpoint) {
    const endpoint = opts.fetchEndpoint
    neonConfig.fetchEndpoint = () => endpoint
  }
  const client = neon(databaseUrl)
  return new Kysely<Database>({ dialect: new NeonDialect({ neon: client }), log: opts.log })
}
