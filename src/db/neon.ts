// The Worker side of the db factory: Kysely over Neon's HTTP driver (one fetch per statement).
// `fetchEndpoint` is only set in local development, to point the real driver at the loopback
// endpoint of scripts/neon-local.ts; a deployed Worker talks to Neon itself.
import { neon, neonConfig, types } from '@neondatabase/serverless'
import { Kysely, type LogConfig } from 'kysely'
import { NeonDialect } from 'kysely-neon'
import type { Database } from './schema.js'

const INT8_OID = 20

export function openNeonDb(
  databaseUrl: string,
  opts: { fetchEndpoint?: string; log?: LogConfig } = {},
): Kysely<Database> {
  if (opts.fetchEndpoint) {
    const endpoint = opts.fetchEndpoint
    neonConfig.fetchEndpoint = () => endpoint
  }
  const client = neon(databaseUrl, {
    types: {
      getTypeParser: ((oid: number, format?: any) =>
        oid === INT8_OID ? Number : types.getTypeParser(oid, format)) as any,
    },
  })
  return new Kysely<Database>({ dialect: new NeonDialect({ neon: client }), log: opts.log })
}
