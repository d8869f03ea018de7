// Property-based tests of the ingest API: whatever a client sends, the answer is never a 500 and a
// rejected request leaves the database as it was. Accepted params round-trip exactly as sent.
import { beforeAll, describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { sql } from 'kysely'
import { batchItem } from './schemas.js'
import { useTestApp } from '../../test/support/db.js'
import { seedAccount } from '../../test/support/fixtures.js'
import { PROTOTYPE_NAMES } from '../../test/support/prototype-names.js'

const t = useTestApp()
let key: string
let accountId: number

beforeAll(async () => {
  const seeded = await seedAccount(t.db, ['Fuzz'])
  key = seeded.projects[0]!.key
  accountId = seeded.accountId
})

async function snapshot() {
  const { rows } = await sql<{ s: string }>`
    SELECT md5(COALESCE(string_agg(c.email || coalesce(c.name, '') || r.status || r.params::text, '|'
      ORDER BY c.email), '')) AS s
    FROM customers c JOIN customer_projects r ON r.customer_id = c.id`.execute(t.db)
  return rows[0]!.s
}

const proto = fc.constantFrom(...PROTOTYPE_NAMES)
const nasty = fc.constantFrom(
  ...PROTOTYPE_NAMES,
  "'; DROP TABLE customers; --",
  '") OR 1=1 --',
  '\u0000',
  '\ud83d\ude00',
  'a'.repeat(300),
  '$where',
  '{"$gt":""}',
)
const key$ = fc.oneof(fc.string(), nasty)
const value$ = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    fc.string(),
    nasty,
    fc.integer(),
    fc.double({ noNaN: true, noDefaultInfinity: true }),
    fc.boolean(),
    fc.constant(null),
    fc.array(tie('value'), { maxLength: 3 }),
    fc.dictionary(key$, tie('value'), { maxKeys: 3 }),
  ),
})).value
const email$ = fc.oneof(
  fc.emailAddress(),
  fc.string(),
  nasty,
  fc.constant('  MiXeD@Example.COM '),
  fc.integer(),
)
const body$ = fc.oneof(
  fc.record(
    {
      email: email$,
      name: fc.oneof(fc.string(), nasty, fc.constant(null), fc.integer()),
      status: fc.oneof(
        fc.constantFrom('free', 'trial', 'paid', 'churned', 'active', 'gold', ''),
        fc.string(),
        proto,
      ),
      params: fc.oneof(fc.dictionary(key$, value$, { maxKeys: 5 }), value$),
      timestamp: fc.oneof(
        fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
        fc.string(),
        proto,
      ),
      type: fc.oneof(fc.constantFrom('identify', 'ping'), proto),
    },
    { requiredKeys: [] },
  ),
  // A prototype name as a field of its own: an unknown field, refused by name.
  fc
    .tuple(proto, fc.jsonValue())
    .map(([k, v]) =>
      JSON.parse(`{"email":"p@x.test",${JSON.stringify(k)}:${JSON.stringify(v) ?? 'null'}}`),
    ),
  fc.jsonValue(),
)

async function send(path: string, body: string) {
  const before = await snapshot()
  const res = await t.app.request(path, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${key}` },
    body,
  })
  expect(res.status).not.toBe(500)
  const json = (await res.json()) as any
  if (res.status !== 200) {
    expect(json.error.code).toEqual(expect.any(String))
    expect(JSON.stringify(json)).not.toMatch(/syntax error|relation "|SQLSTATE|at \w+ \(/)
    expect(await snapshot()).toBe(before)
  }
  return { status: res.status, json }
}

describe('fuzzing the ingest API', () => {
  it('identify: never a 500; rejected input changes nothing', async () => {
    await fc.assert(
      fc.asyncProperty(body$, async (body) => {
        await send('/v1/identify', JSON.stringify(body))
      }),
      { numRuns: 300 },
    )
  })

  it('ping and batch: never a 500', async () => {
    await fc.assert(
      fc.asyncProperty(
        body$,
        fc.array(
          fc.oneof(
            body$,
            body$.map((b) => ({ ...(b as object), type: 'identify' })),
          ),
          { maxLength: 8 },
        ),
        async (body, items) => {
          await send('/v1/ping', JSON.stringify(body))
          const { status, json } = await send('/v1/batch', JSON.stringify({ batch: items }))
          if (status !== 200) return
          // Each item is judged alone: one that identify refuses fails alone in a batch too.
          expect(json.results).toHaveLength(items.length)
          expect(json.succeeded + json.failed).toBe(items.length)
          for (const [i, item] of items.entries()) {
            const alone = batchItem.safeParse(item).success
            expect(json.results[i].ok, JSON.stringify(item)).toBe(alone)
          }
        },
      ),
      { numRuns: 150 },
    )
  })

  it('accepted params are stored exactly as sent, whatever their keys', async () => {
    let n = 0
    await fc.assert(
      fc.asyncProperty(
        fc.dictionary(
          key$,
          value$.filter((v) => v !== null),
          { maxKeys: 6 },
        ),
        async (params) => {
          const email = `roundtrip${n++}@example.com`
          const raw = JSON.stringify({ email, params })
          const { status } = await send('/v1/identify', raw)
          if (status !== 200) return // e.g. a string with \u0000, which Postgres' jsonb refuses: a 400
          const row = await t.db
            .selectFrom('customer_projects as r')
            .innerJoin('customers as c', 'c.id', 'r.customer_id')
            .select(sql<string>`r.params::text`.as('params'))
            .where('c.account_id', '=', accountId)
            .where('c.email', '=', email)
            .executeTakeFirstOrThrow()
          expect(JSON.parse(row.params)).toEqual(JSON.parse(JSON.stringify(params)))
        },
      ),
      { numRuns: 150 },
    )
  })
})
