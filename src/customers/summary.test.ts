// Exact or about: a segment up to the threshold (100,000 customers; lowered here instead of
// seeding that many) is counted exactly, and so is every segment of an account no larger than it.
// A segment of a larger account that a sample of the table puts past the threshold, by three
// standard errors, says "about": estimated from that sample. On a small table the sample is the
// whole table, so the estimate equals the count and the tests can say what it is; a table of
// 30,000 customers shows the margin (a segment packed into few pages is known less well than one
// spread over the table).
import { sql } from 'kysely'
import { beforeAll, describe, expect, it } from 'vitest'
import { createApp } from '../app.js'
import { useTestApp } from '../../test/support/db.js'
import { sessionCookie, useQuestions } from '../../test/support/customers-fixture.js'
import { postJson, seedAccount } from '../../test/support/fixtures.js'
import { parseCustomerFilter } from './filter.js'
import { EXACT_COUNT_UP_TO, roughly, summarizeCustomers, summaryQuery } from './summary.js'

const t = useTestApp()
const fx = useQuestions(t)

const summary = (query: string, exactUpTo?: number) =>
  summarizeCustomers(t.db, fx.accountId, parseCustomerFilter(new URLSearchParams(query)), {
    exactUpTo,
  })

describe('exact up to the threshold, about past it', () => {
  it('counts 100,000 customers exactly by default', () => {
    expect(EXACT_COUNT_UP_TO).toBe(100_000)
  })

  it('an account of at most the threshold is counted exactly: none of its segments can be larger', async () => {
    // Everyone: 8 customers (the fixture's alex … hal).
    expect(await summary('', 8)).toMatchObject({ exact: true, count: 8 })
    expect(await summary('', 100)).toMatchObject({ exact: true, count: 8 })
  })

  it('a larger account is counted exactly up to the threshold, estimated past it', async () => {
    const exact = await summary('')
    // 8 customers, the account is larger than 7: estimated. The whole small table was the sample,
    // so the estimate is the count, breakdowns and all.
    const sampled = await summary('', 7)
    expect(sampled).toMatchObject({ exact: false, count: 8, byStatus: exact.byStatus })
    // 5 use App A: past 4, not past 5.
    expect(await summary('in=app-a', 4)).toMatchObject({ exact: false, count: 5 })
    expect(await summary('in=app-a', 5)).toEqual(await summary('in=app-a'))
  })

  it('an account found small is sent the exact statement alone; one found large is not counted again', async () => {
    const f = parseCustomerFilter(new URLSearchParams('in=app-a'))
    const sent = (exactUpTo: number) =>
      summaryQuery(fx.accountId, f, { exactUpTo }).compile(t.db).sql
    const countsAccount = /SELECT 1 FROM customers WHERE account_id/
    // Not known yet: the statement asks the account's size and carries the sample.
    expect(sent(50)).toMatch(/TABLESAMPLE/)
    expect(sent(50)).toMatch(countsAccount)
    expect(await summary('in=app-a', 50)).toMatchObject({ exact: true, count: 5 })
    expect(sent(50)).not.toMatch(/TABLESAMPLE/)
    // A threshold the account is past keeps the sample, without counting the account again.
    expect(await summary('in=app-a', 2)).toMatchObject({ exact: false, count: 5 })
    expect(sent(2)).toMatch(/TABLESAMPLE/)
    expect(sent(2)).not.toMatch(countsAccount)
    expect(await summary('in=app-a', 2)).toMatchObject({ exact: false, count: 5 })
  })

  it('a filter on params, on a time in one project or on a change is estimated past it too', async () => {
    for (const q of [
      'p=plan:eq:pro&sum=mrr&in=app-b',
      'inactive=1@app-a',
      'changed=status:paid:2000-01-01',
    ]) {
      const exact = await summary(q)
      expect(exact.exact).toBe(true)
      expect(exact.count).toBeGreaterThan(1)
      // The small table is the whole sample: the estimate is the count, breakdowns and sums.
      expect(await summary(q, 1)).toEqual({ ...exact, exact: false })
      expect(await summary(q, exact.count)).toEqual(exact)
    }
  })

  it('an estimated segment still has its per-project breakdown and its sum', async () => {
    const exact = await summary('in=app-b&sum=mrr', 10)
    const about = await summary('in=app-b&sum=mrr', 1)
    expect(exact.exact).toBe(true)
    expect(about.exact).toBe(false)
    expect(about.count).toBe(exact.count)
    expect(about.byProject).toEqual(exact.byProject)
    expect(about.sum).toEqual(exact.sum)
  })

  it('the page position stays exact past the threshold: the rows before the page are counted', async () => {
    const f = parseCustomerFilter(new URLSearchParams('sort=email&limit=3'))
    const { customersPage } = await import('./query.js')
    const first = await customersPage(t.db, fx.accountId, f, { exactUpTo: 2 })
    const second = await customersPage(
      t.db,
      fx.accountId,
      { ...f, after: parseCursor(first.next!) },
      { exactUpTo: 2 },
    )
    expect(second.summary).toMatchObject({ exact: false, offset: 3 })
  })

  it('sum= changes no count: the counts, breakdowns and page position are those without it', async () => {
    const { customersPage } = await import('./query.js')
    for (const q of ['', 'in=app-a:paid&in=app-b', 'p=plan:eq:pro', 'not_in=app-c&sort=email']) {
      const f = parseCustomerFilter(new URLSearchParams(`${q}&limit=2`))
      const first = await customersPage(t.db, fx.accountId, f)
      const next = { ...f, after: first.next ? parseCursor(first.next, f.sort.key) : undefined }
      const plain = await summarizeCustomers(t.db, fx.accountId, next)
      const summed = await summarizeCustomers(t.db, fx.accountId, {
        ...next,
        sum: { key: 'mrr', project: null },
      })
      expect(summed.exact).toBe(true)
      expect({ ...summed, sum: null }).toEqual(plain)
      expect(summed.offset).toBe(first.next ? 2 : 0)
    }
  })

  it('rounds an estimate to 3 significant digits', () => {
    expect([0, 7, 999, 1_234, 435_120, 1_234_567].map(roughly)).toEqual([
      0, 7, 999, 1_230, 435_000, 1_230_000,
    ])
  })
})

describe('GET /customers past the threshold', () => {
  it('says "about" beside the count and in the pager', async () => {
    const app = createApp({ db: t.db, config: { exactCountUpTo: 3 } })
    const res = await app.request('/customers', { headers: { Cookie: fx.cookie } })
    const html = await res.text()
    expect(res.status).toBe(200)
    expect(html).toMatch(/about <\/span><strong data-count="8" data-testid="segment-count">8</)
    expect(html).toMatch(/1–8 of about 8/)
    // At the default threshold, no "about" anywhere.
    const plain = await (
      await t.app.request('/customers', { headers: { Cookie: fx.cookie } })
    ).text()
    expect(plain).not.toMatch(/of about|about <\/span>/)
    expect(plain).toMatch(/1–8 of 8/)
  })
})

describe('sum= over relations in several currencies', () => {
  // Paid on App A: usd (as Stripe writes it) and USD, JPY, one without a currency, one whose
  // currency is not a string and one of 0 GBP; a trial in eur; on App B, u1 in EUR and u7 free,
  // 0 without a currency.
  let accountId = 0
  let cookie = ''
  beforeAll(async () => {
    const seeded = await seedAccount(t.db)
    accountId = seeded.accountId
    cookie = await sessionCookie(t.db, seeded.userId)
    const paid = (n: number, params: object) => ({
      type: 'identify',
      email: `u${n}@example.com`,
      status: 'paid',
      params,
    })
    for (const [key, batch] of [
      [
        seeded.projects[0]!.key,
        [
          paid(1, { mrr: 29.99, currency: 'usd' }),
          paid(2, { mrr: 432, currency: 'USD' }),
          paid(3, { mrr: 3000, currency: 'JPY' }),
          { ...paid(4, { mrr: 50, currency: 'eur' }), status: 'trialing' },
          paid(5, { mrr: 12 }),
          paid(6, { currency: 'USD' }),
          paid(8, { mrr: 1, currency: 840 }),
          paid(9, { mrr: 0, currency: 'GBP' }),
        ],
      ],
      [
        seeded.projects[1]!.key,
        [paid(1, { mrr: 10, currency: 'EUR' }), { ...paid(7, { mrr: 0 }), status: 'free' }],
      ],
    ] as const) {
      const res = await postJson(t.app, '/v1/batch', key, { batch })
      expect(res.body.failed).toBe(0)
    }
  })
  const sumOf = async (query: string, exactUpTo?: number) =>
    (
      await summarizeCustomers(t.db, accountId, parseCustomerFilter(new URLSearchParams(query)), {
        exactUpTo,
      })
    ).sum

  it('adds up each currency (any case; null: none that is a string; not one of 0), the totals as before', async () => {
    expect(await sumOf('in=app-a:paid&sum=mrr')).toEqual({
      key: 'mrr',
      project: null,
      selective: true,
      matched: 3474.99,
      all: 3484.99,
      byCurrency: [
        { currency: 'EUR', all: 10, matched: 0 },
        { currency: 'JPY', all: 3000, matched: 3000 },
        { currency: 'USD', all: 461.99, matched: 461.99 },
        { currency: null, all: 13, matched: 13 },
      ],
    })
    // The trial's eur joins u1's EUR.
    expect((await sumOf('sum=mrr'))?.byCurrency?.[0]).toEqual({
      currency: 'EUR',
      all: 60,
      matched: 60,
    })
  })

  it('gives no breakdown in one currency (usd and USD are one; beside amounts of 0), nor without any', async () => {
    const usd = await sumOf('p=currency:contains:usd&sum=app-a.mrr')
    expect(usd).toMatchObject({ all: 461.99, matched: 461.99 })
    expect(usd).not.toHaveProperty('byCurrency')
    const eur = await sumOf('sum=app-b.mrr')
    expect(eur).toMatchObject({ all: 10, matched: 10 })
    expect(eur).not.toHaveProperty('byCurrency')
    expect(await sumOf('in=app-a:paid&p=currency:eq:JPY&sum=mrr')).not.toHaveProperty('byCurrency')
    const none = await summarizeCustomers(
      t.db,
      fx.accountId,
      parseCustomerFilter(new URLSearchParams('sum=mrr')),
    )
    expect(none.sum).not.toHaveProperty('byCurrency')
  })

  it('an estimated sum has the totals alone, rounded', async () => {
    const f = parseCustomerFilter(new URLSearchParams('in=app-a:paid&sum=mrr'))
    const about = await summarizeCustomers(t.db, accountId, f, { exactUpTo: 1 })
    expect(about.exact).toBe(false)
    expect(about.sum).toEqual({
      key: 'mrr',
      project: null,
      selective: true,
      matched: 3470,
      all: 3480,
    })
  })

  it('the dashboard shows the amounts per currency under the sum, saying they differ', async () => {
    const res = await t.app.request('/customers?in=app-a:paid&sum=mrr', {
      headers: { Cookie: cookie },
    })
    const lines = [...(await res.text()).matchAll(/<p class="summary-sum"[^>]*>(.*?)<\/p>/g)].map(
      (m) => m[1]!.replace(/<[^>]+>/g, ''),
    )
    expect(lines).toEqual([
      'Σ mrr 3,474.99 where the filter matched · 3,484.99 across all their products',
      'The amounts are in different currencies: EUR 0, JPY 3,000, USD 461.99, no currency 13 ' +
        'where the filter matched · EUR 10, JPY 3,000, USD 461.99, no currency 13 across all ' +
        'their products',
    ])
  })
})

describe('the margin of a sample of pages', () => {
  // 30,000 customers of one account, some 45 to a page: the sample reads about a third of the
  // pages. 12,000 spread over every page (first seen long ago) and 10,000 packed into the first
  // third of the table (in 3 projects).
  let accountId = 0
  beforeAll(async () => {
    accountId = (await seedAccount(t.db, [])).accountId
    await sql`INSERT INTO customers (account_id, email, created_at, project_count)
      SELECT ${accountId}, 'm' || i || '@example.com',
        CASE WHEN i % 5 < 2 THEN '2019-06-01'::timestamptz ELSE now() END,
        CASE WHEN i <= 10000 THEN 3 ELSE 1 END
      FROM generate_series(1, 30000) i`.execute(t.db)
    await sql`ANALYZE customers`.execute(t.db)
  }, 60_000)
  const sampled = (query: string, exactUpTo: number) =>
    summarizeCustomers(t.db, accountId, parseCustomerFilter(new URLSearchParams(query)), {
      exactUpTo,
    })

  it('estimates a segment spread over the table a little past the threshold', async () => {
    const spread = await sampled('seen_before=2020-01-01', 10_000)
    expect(spread.exact).toBe(false)
    // Within 5 % of the 12,000 it is.
    expect(Math.abs(spread.count - 12_000)).toBeLessThan(600)
  })

  it('counts a segment packed into few pages exactly, where its estimate is less sure', async () => {
    // The same share past the threshold as the spread one, but its pages are all in or all out.
    expect(await sampled('min_projects=3', 8_300)).toMatchObject({ exact: true, count: 10_000 })
    // Well past it, estimated.
    expect(await sampled('min_projects=3', 5_000)).toMatchObject({ exact: false })
  })
})

function parseCursor(after: string, sort = 'email') {
  return parseCustomerFilter(new URLSearchParams({ sort, after })).after!
}

describe('GET /customers with sum=', () => {
  const sumLine = async (query: string) => {
    const res = await t.app.request(`/customers?${query}`, { headers: { Cookie: fx.cookie } })
    const html = await res.text()
    return /<p class="summary-sum">(.*?)<\/p>/.exec(html)?.[1]?.replace(/<[^>]+>/g, '')
  }

  it('says "across all their products" of a sum over every product, not of one project’s', async () => {
    expect(await sumLine('in=app-b:paid&sum=mrr')).toBe(
      'Σ mrr 68 where the filter matched · 78 across all their products',
    )
    // sum=app-b.mrr adds App B’s mrr alone: the second figure is App B’s over the whole segment.
    expect(await sumLine('p=plan:eq:pro&sum=app-b.mrr')).toBe(
      'Σ App B mrr 68 where the filter matched · 68 over the whole segment',
    )
    expect(await sumLine('sum=app-b.mrr')).toBe('Σ App B mrr 68 over the whole segment')
  })
})
