// Any query string at all: the parser answers a filter or a validation error (never anything
// else), and every filter it accepts runs as SQL without an error — keys and values are data,
// never SQL, whatever quotes, colons or operators they carry.
import { beforeAll, expect, it } from 'vitest'
import fc from 'fast-check'
import { createApp } from '../app.js'
import { ApiError } from '../lib/errors.js'
import { useTestDb } from '../../test/support/db.js'
import { parseCustomerFilter } from './filter.js'
import { PARAM_OPS } from './filter-syntax.js'
import { seedQuestions, type QuestionsFixture } from '../../test/support/customers-fixture.js'
import { customersPage } from './query.js'
import { PROTOTYPE_NAMES } from '../../test/support/prototype-names.js'
import { sessionCookie } from '../../test/support/customers-fixture.js'
import { createAccountToken } from '../account-api/tokens.js'

const t = useTestDb()
let fx: QuestionsFixture

beforeAll(async () => {
  fx = await seedQuestions(createApp({ db: t.db }), t.db)
})

const nasty = fc.oneof(
  fc.string({ maxLength: 12 }),
  fc.constantFrom(
    "'",
    '"',
    "'); DROP TABLE customers;--",
    '%',
    '_',
    '\\',
    ':',
    ',',
    '.',
    '*.',
    '@',
  ),
  fc.constantFrom(...PROTOTYPE_NAMES),
  fc.constantFrom('app-a', 'app-b', 'plan', 'mrr', 'pro', '10', 'true', '2026-03-23', 'paid'),
)
const part = fc.array(nasty, { minLength: 1, maxLength: 4 }).map((xs) => xs.join(''))
const op = fc.constantFrom(...PARAM_OPS)
// Keys as people and attackers write them: plain, scoped, quoted, with SQL and LIKE characters.
const key = fc.constantFrom(
  'plan',
  'mrr',
  "it's",
  'a"b',
  "x'); DROP TABLE customers;--",
  'app-a.mrr',
  '*.u.s',
  '%_\\',
  'trial_ends',
  'beta',
  ...PROTOTYPE_NAMES,
  ...PROTOTYPE_NAMES.map((n) => `app-a.${n}`),
)
const paramFilter = fc.oneof(
  part,
  fc.tuple(key, op, part).map(([k, o, v]) => `${k}:${o}:${v}`),
  fc.tuple(key, fc.constantFrom('exists', 'missing')).map(([k, o]) => `${k}:${o}`),
  fc.tuple(key, op, part, part).map(([k, o, a, b]) => `${k}:${o}:${a},${b}`),
)
const entry = fc.oneof(
  fc.tuple(fc.constantFrom('q', 'in', 'not_in', 'status', 'not_status', 'sum', 'sort'), part),
  fc.tuple(
    fc.constantFrom('min_projects', 'active', 'inactive', 'seen_before', 'seen_after'),
    part,
  ),
  fc.tuple(fc.constant('p'), paramFilter),
  fc.tuple(fc.string({ maxLength: 8 }), part),
  fc.tuple(fc.constantFrom(...PROTOTYPE_NAMES), part),
  // Prototype names in every value position: a status, a project, a sort, a time, a scope.
  fc.tuple(
    fc.constantFrom(
      'in',
      'not_in',
      'status',
      'not_status',
      'sort',
      'sum',
      'active',
      'seen_after',
      'limit',
      'after',
      'q',
    ),
    fc
      .constantFrom(...PROTOTYPE_NAMES)
      .chain((n) =>
        fc.constantFrom(n, `app-a:${n}`, `${n}:paid`, `30@${n}`, `2026-01-01@${n}`, `-${n}`),
      ),
  ),
)

it('answers any query on the API, the dashboard and both exports with a 200 or a 400, never a 500', async () => {
  const { token } = await createAccountToken(t.db, fx.accountId, 'fuzz')
  const app = createApp({ db: t.db })
  const cookie = await sessionCookie(t.db, fx.userId)
  await fc.assert(
    fc.asyncProperty(fc.array(entry, { maxLength: 4 }), async (entries) => {
      const query = new URLSearchParams(entries).toString()
      for (const [path, headers] of [
        ['/v1/customers', { Authorization: `Bearer ${token}` }],
        ['/v1/customers/export.csv', { Authorization: `Bearer ${token}` }],
        ['/customers', { Cookie: cookie, Accept: 'text/html' }],
        ['/customers/export.csv', { Cookie: cookie }],
      ] as const) {
        const res = await app.request(`${path}?${query}`, { headers })
        // The dashboard's table sends the short URL first (a redirect) when the query has blanks.
        expect([200, 303, 400], `${path}?${query}`).toContain(res.status)
        await res.arrayBuffer()
      }
    }),
    { numRuns: 100 },
  )
})

it('parses or refuses any query, and runs everything it accepts', async () => {
  let ran = 0
  await fc.assert(
    fc.asyncProperty(fc.array(entry, { maxLength: 5 }), async (entries) => {
      const query = new URLSearchParams(entries)
      let filter
      try {
        filter = parseCustomerFilter(query)
      } catch (err) {
        expect(err).toBeInstanceOf(ApiError)
        expect((err as ApiError).code).toBe('validation_failed')
        return
      }
      const page = await customersPage(t.db, fx.accountId, filter)
      expect(page.summary.count).toBeGreaterThanOrEqual(page.rows.length)
      ran++
    }),
    { numRuns: 300 },
  )
  expect(ran).toBeGreaterThan(20)
  const count = await t.db
    .selectFrom('customers')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .executeTakeFirstOrThrow()
  expect(Number(count.n)).toBeGreaterThan(0)
})

it('runs params filters with any key and value as data', async () => {
  let ran = 0
  await fc.assert(
    fc.asyncProperty(fc.array(paramFilter, { minLength: 1, maxLength: 3 }), async (ps) => {
      let filter
      try {
        filter = parseCustomerFilter(new URLSearchParams(ps.map((v) => ['p', v])))
      } catch (err) {
        expect((err as ApiError).code).toBe('validation_failed')
        return
      }
      await customersPage(t.db, fx.accountId, filter)
      ran++
    }),
    { numRuns: 200 },
  )
  expect(ran).toBeGreaterThan(10)
})
