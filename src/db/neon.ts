// The Worker side of the db factory: Kysely over Neon's HTTP driver (one fetch per statement, or
// per batch of statements run as one transaction: ./transaction.ts).
// `fetchEndpoint` is only set in local development, to point the real driver at the loopback
// endpoint of scripts/neon-http-endpoint.ts; a deployed Worker talks to Neon itself.
import { neon, neonConfig, types } from '@neondatabase/serverless'
import { Kysely, PostgresAdapter, PostgresQueryCompiler, type Dialect, type LogEvent } from 'kysely'
import { NeonDriver } from 'kysely-neon'
import type { Database } from './schema.js'
import { databaseLog } from './log.js'
import { TYPE_PARSERS } from './types.js'
import { setTransactionRunner } from './transaction.js'

// The driver reads type parsers per query (kysely-neon passes none) or from its global pg-types, not
// from neon()'s options, so they are set here, once per isolate: the same as on PGlite and pg.
for (const [oid, parse] of Object.entries(TYPE_PARSERS)) types.setTypeParser(Number(oid), parse)

export function openNeonDb(
  databaseUrl: string,
  opts: { fetchEndpoint?: string; log?: (event: LogEvent) => void } = {},
): Kysely<Database> {
  if (opts.fetchEndpoint) {
    const endpoint = opts.fetchEndpoint
    neonConfig.fetchEndpoint = () => endpoint
  }
  const client = neon(databaseUrl)
  // kysely-neon's driver, in a dialect without its schema introspector: nothing in the Worker
  // introspects, and NeonDialect's would put Kysely's (1.9 KB) in the bundle.
  const dialect: Dialect = {
    createAdapter: () => new PostgresAdapter(),
    createDriver: () => new NeonDriver({ neon: client }),
    createQueryCompiler: () => new PostgresQueryCompiler(),
    createIntrospector: () => {
      throw new Error('No schema introspection over Neon HTTP')
    },
  }
  const db = new Kysely<Database>({
    dialect,
    log: databaseLog(opts.log),
  })
  // No interactive transactions over HTTP: statements that must commit together go as one batch.
  setTransactionRunner(db, async (queries) => {
    const results = await client.transaction(
      (txn) => queries.map((q) => txn.query(q.sql, [...q.parameters])),
      { fullResults: true },
    )
    return results.map((r) => ({ rows: r.rows as Record<string, unknown>[] }))
  })
  return db
}
