// The local Neon HTTP endpoint over a real Postgres pool (what `npm run dev` uses when DATABASE_URL
// is set), driven by the real `neon()` driver: the same answers as over PGlite.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { neon, neonConfig, type NeonQueryFunction } from '@neondatabase/serverless'
import type { NodeDb } from '../src/db/node.js'
import { openTestDb } from '../test/support/pg-harness.js'
import { startNeonHttpEndpoint, type NeonHttpEndpoint } from './neon-http-endpoint.js'

let node: NodeDb
let endpoint: NeonHttpEndpoint
let q: NeonQueryFunction<false, false>

beforeAll(async () => {
  node = await openTestDb({ poolSize: 2 })
  endpoint = await startNeonHttpEndpoint({ pool: node.pool })
  neonConfig.fetchEndpoint = () => endpoint.url
  q = neon('postgres://tinycrm:dev@localhost/tinycrm')
})
afterAll(async () => {
  await endpoint?.close()
  await node?.close()
})

async function failure(p: Promise<unknown>): Promise<Record<string, unknown>> {
  try {
    await p
  } catch (err) {
    return err as Record<string, unknown>
  }
  throw new Error('expected the query to fail')
}

describe('the Neon HTTP protocol over a Postgres pool', () => {
  it('answers text values the driver parses, and takes text params', async () => {
    const [row] = await q`
      SELECT 42::int4 AS i, 9007199254740991::int8 AS big, ${JSON.stringify({ a: 1 })}::jsonb AS j,
        ${new Date('2025-01-10T10:00:00Z')}::timestamptz AS ts, ARRAY[1,2]::int4[] AS arr, NULL AS n`
    expect(row).toMatchObject({ i: 42, j: { a: 1 }, arr: [1, 2], n: null })
    expect((row!.ts as Date).toISOString()).toBe('2025-01-10T10:00:00.000Z')
    const res = await q.query('SELECT * FROM generate_series(1, 2)', [], { fullResults: true })
    expect(res).toMatchObject({ command: 'SELECT', rowCount: 2 })
  })

  it('passes SQLSTATEs through and runs a batch as one transaction', async () => {
    expect(await failure(q`SELEC 1`)).toMatchObject({ code: '42601' })
    const name = `pg-batch-${Date.now()}`
    const err = await failure(
      q.transaction([q`INSERT INTO accounts (name) VALUES (${name})`, q`SELECT 1/0`]),
    )
    expect(err.code).toBe('22012')
    const [row] = await q`SELECT count(*)::int AS n FROM accounts WHERE name = ${name}`
    expect(row!.n).toBe(0)
    const [level] = await q.transaction([q`SHOW transaction_isolation`], {
      isolationLevel: 'RepeatableRead',
    })
    expect(level).toEqual([{ transaction_isolation: 'repeatable read' }])
  })
})
