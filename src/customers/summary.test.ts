// Exact or about: a segment up to the threshold (100,000 customers; lowered here instead of
// seeding that many) is counted exactly, and so is every segment of an account no larger than it.
// A segment of a larger account that a sample of the table puts past twice the threshold says "about":
// estimated from a sample of the customers table, unless its filter reads relations (params). On
// a small table the sample is the whole table, so the estimate equals the count and the tests can
// say what it is.
import { describe, expect, it } from 'vitest'
import { createApp } from '../app.js'
import { useTestApp } from '../../test/support/db.js'
import { useQuestions } from '../../test/support/customers-fixture.js'
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

  it('a larger account is counted exactly up to twice the threshold, estimated past it', async () => {
    const exact = await summary('')
    // 8 customers, more than 4: the sample does not put the segment past 8.
    expect(await summary('', 4)).toEqual(exact)
    // Past twice the threshold: estimated from the sample. The whole small table was the sample,
    // so the estimate is the count, breakdowns and all.
    const sampled = await summary('', 3)
    expect(sampled).toMatchObject({ exact: false, count: 8, byStatus: exact.byStatus })
    expect(await summary('in=app-a', 2)).toMatchObject({ exact: false, count: 5 })
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

  it('a filter on params or on a time in one project is always counted: no sample', async () => {
    expect(await summary('p=plan:eq:pro&sum=mrr&in=app-b', 1)).toEqual(
      await summary('p=plan:eq:pro&sum=mrr&in=app-b'),
    )
    expect(await summary('inactive=1@app-a', 1)).toMatchObject({ exact: true })
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

function parseCursor(after: string) {
  return parseCustomerFilter(new URLSearchParams({ sort: 'email', after })).after!
}
