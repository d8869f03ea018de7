// Exact or about: a segment up to the threshold (100,000 customers; lowered here instead of
// seeding that many) is counted exactly. A larger one says "about": counted and rounded when a
// first sample puts it within twice the threshold, estimated from a sample of the customers table
// past that. On a small table the sample is the whole table, so the estimate equals the count and
// the tests can say what it is.
import { describe, expect, it } from 'vitest'
import { createApp } from '../app.js'
import { useTestApp } from '../../test/support/db.js'
import { useQuestions } from '../../test/support/customers-fixture.js'
import { parseCustomerFilter } from './filter.js'
import { EXACT_COUNT_UP_TO, roughly, summarizeCustomers } from './summary.js'

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

  it('a segment of exactly the threshold is exact; one more customer makes it an estimate', async () => {
    // Everyone: 8 customers (the fixture's alex … hal).
    const atThreshold = await summary('', 8)
    expect(atThreshold).toMatchObject({ exact: true, count: 8 })
    // Counted (within twice the threshold), and said to be about.
    const past = await summary('', 7)
    expect(past.exact).toBe(false)
    expect(past.count).toBe(8)
    expect(past.byStatus).toEqual(atThreshold.byStatus)
    // Estimated from the sample (past twice the threshold): the whole small table was the sample,
    // so the estimate is the count, breakdowns and all.
    const sampled = await summary('', 3)
    expect(sampled).toMatchObject({ exact: false, count: 8, byStatus: atThreshold.byStatus })
  })

  it('the same threshold keeps a smaller segment exact', async () => {
    expect(await summary('in=app-a', 5)).toMatchObject({ exact: true, count: 5 })
    expect(await summary('in=app-a', 4)).toMatchObject({ exact: false, count: 5 })
  })

  it('an estimated segment still has its per-project breakdown and its sum', async () => {
    const exact = await summary('p=plan:eq:pro&sum=mrr&in=app-b', 10)
    const about = await summary('p=plan:eq:pro&sum=mrr&in=app-b', 1)
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
    const app = createApp({ db: t.db, config: { exactCountUpTo: 7 } })
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
