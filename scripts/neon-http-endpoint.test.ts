// The local Neon HTTP endpoint, driven by the real driver: `neon()` from @neondatabase/serverless
// (and Kysely through openNeonDb) sends its queries to the endpoint, which runs them on PGlite.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { neon, neonConfig, type NeonQueryFunction } from '@neondatabase/serverless'
import { sql, type Kysely } from 'kysely'
import { createApp } from '../src/app.js'
import { openNeonDb } from '../src/db/neon.js'
import type { Database } from '../src/db/schema.js'
import { openTestDb, type TestDb } from '../test/support/db.js'
import { postJson, seedAccount } from '../test/support/fixtures.js'
import { startNeonHttpEndpoint, type NeonHttpEndpoint } from './neon-http-endpoint.js'

const DUMMY_URL = 'postgres://tinycrm:dev@localhost/tinycrm'

let t: TestDb
let endpoint: NeonHttpEndpoint
let q: NeonQueryFunction<false, false>
let db: Kysely<Database>

beforeAll(async () => {
  t = await openTestDb()
  endpoint = await startNeonHttpEndpoint({ pglite: t.pglite })
  neonConfig.fetchEndpoint = () => endpoint.url
  q = neon(DUMMY_URL)
  db = openNeonDb(DUMMY_URL, { fetchEndpoint: endpoint.url })
})
afterAll(async () => {
  await endpoint?.close()
  await t?.close()
})

/** The error a driver call rejects with (NeonDbError carries Postgres' fields). */
async function failure(p: Promise<unknown>): Promise<Record<string, unknown>> {
  try {
    await p
  } catch (err) {
    return err as Record<string, unknown>
  }
  throw new Error('expected the query to fail')
}

describe('the Neon HTTP protocol over PGlite', () => {
  it('listens on loopback only', () => {
    expect(endpoint.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/sql$/)
  })

  it('answers values as Postgres text, which the driver parses into the same types Neon gives', async () => {
    const [row] = await q`
      SELECT 42::int4 AS i, 'x'::text AS t, true AS b, NULL::text AS n, '{"a":[1,2]}'::jsonb AS j,
        '2025-01-10T10:00:00Z'::timestamptz AS ts, ARRAY[1,2,3]::int4[] AS arr, '\\x0102'::bytea AS bin`
    expect(row).toMatchObject({ i: 42, t: 'x', b: true, n: null, j: { a: [1, 2] }, arr: [1, 2, 3] })
    expect((row!.ts as Date).toISOString()).toBe('2025-01-10T10:00:00.000Z')
    expect([...(row!.bin as Uint8Array)]).toEqual([1, 2])
  })

  it('takes params as text: JSON arrives once-encoded, dates and arrays as the driver writes them', async () => {
    const when = new Date('2025-03-01T12:34:56.789Z')
    const [row] = await q`
      SELECT ${JSON.stringify({ plan: 'pro' })}::jsonb ->> 'plan' AS plan,
        ${when}::timestamptz AS ts, ${[3, 4]}::int[] AS arr, ${null}::text IS NULL AS isnull`
    expect(row).toMatchObject({ plan: 'pro', arr: [3, 4], isnull: true })
    expect((row!.ts as Date).toISOString()).toBe(when.toISOString())
  })

  it('reports the command and row count that kysely-neon reads', async () => {
    const res = await q.query('SELECT * FROM generate_series(1, 3) AS g(n)', [], {
      fullResults: true,
    })
    expect(res).toMatchObject({
      command: 'SELECT',
      rowCount: 3,
      rows: [{ n: 1 }, { n: 2 }, { n: 3 }],
    })
    expect(res.fields.map((f) => [f.name, f.dataTypeID])).toEqual([['n', 23]])
    const upd = await q.query(
      "UPDATE accounts SET name = name WHERE name = 'nobody-has-this-name'",
      [],
      { fullResults: true },
    )
    expect(upd).toMatchObject({ command: 'UPDATE', rowCount: 0 })
  })

  it('passes Postgres errors through with their SQLSTATE and fields', async () => {
    const { email } = await seedAccount(t.db)
    const dup = await failure(
      q`INSERT INTO users (account_id, email, password_hash)
        SELECT account_id, email, password_hash FROM users WHERE email = ${email}`,
    )
    expect(dup).toMatchObject({ name: 'NeonDbError', code: '23505', constraint: 'users_email_key' })
    expect(dup.detail).toContain(email)

    const syntax = await failure(q`SELEC 1`)
    expect(syntax).toMatchObject({ code: '42601', position: '1' })
  })

  it('runs a batch as one transaction: all results, or nothing written', async () => {
    const [inserted, counted] = await q.transaction([
      q`INSERT INTO accounts (name) VALUES ('batch-one') RETURNING name`,
      q`SELECT count(*)::int AS n FROM accounts WHERE name = 'batch-one'`,
    ])
    expect(inserted).toEqual([{ name: 'batch-one' }])
    expect(counted).toEqual([{ n: 1 }])

    const err = await failure(
      q.transaction([q`INSERT INTO accounts (name) VALUES ('batch-two')`, q`SELECT 1/0`]),
    )
    expect(err.code).toBe('22012')
    const [row] = await q`SELECT count(*)::int AS n FROM accounts WHERE name = 'batch-two'`
    expect(row!.n).toBe(0)
  })

  it('opens a batch with the isolation level, read-only and deferrable the driver asks for', async () => {
    const [level, ro] = await q.transaction(
      [q`SHOW transaction_isolation`, q`SHOW transaction_read_only`],
      { isolationLevel: 'Serializable', readOnly: true, deferrable: true },
    )
    expect(level).toEqual([{ transaction_isolation: 'serializable' }])
    expect(ro).toEqual([{ transaction_read_only: 'on' }])
    const err = await failure(
      q.transaction([q`INSERT INTO accounts (name) VALUES ('ro')`], { readOnly: true }),
    )
    expect(err.code).toBe('25006')
  })

  it('answers a malformed request with 400 and a message, as Neon does', async () => {
    const bad = await fetch(endpoint.url, { method: 'POST', body: '{"query": 1}' })
    expect(bad.status).toBe(400)
    expect(await bad.json()).toMatchObject({ message: expect.stringContaining('query') })
    const notJson = await fetch(endpoint.url, { method: 'POST', body: 'SELECT 1' })
    expect(notJson.status).toBe(400)
  })
})

describe('the app over Kysely and the Neon HTTP driver (the Worker code path, in Node)', () => {
  it('returns int8 ids as numbers, as PGlite and pg do', async () => {
    const [row] = await sql<{ n: unknown }>`SELECT 9007199254740991::int8 AS n`
      .execute(db)
      .then((r) => r.rows)
    expect(row!.n).toBe(9007199254740991)
  })

  it('ingests through the endpoint with one HTTP query per request', async () => {
    const app = createApp({ db })
    const { accountId, projects } = await seedAccount(t.db)
    const key = projects[0]!.key

    const before = { ...endpoint.stats }
    const res = await postJson(app, '/v1/identify', key, {
      email: 'neon@example.com',
      status: 'paid',
      params: { plan: 'pro', mrr: 29 },
    })
    expect(res).toMatchObject({ status: 200, body: { ok: true, created: true } })
    expect(typeof res.body.customerId).toBe('number')
    expect(endpoint.stats.requests - before.requests).toBe(1)
    expect(endpoint.stats.queries - before.queries).toBe(1)

    const rel = await t.db
      .selectFrom('customer_projects as r')
      .innerJoin('customers as c', 'c.id', 'r.customer_id')
      .select(['c.email', 'r.status', 'r.params'])
      .where('c.account_id', '=', accountId)
      .execute()
    expect(rel).toEqual([
      { email: 'neon@example.com', status: 'paid', params: { plan: 'pro', mrr: 29 } },
    ])
  })
})
