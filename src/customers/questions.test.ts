// The 14 questions the product must answer (the README's "The 14 questions, as URLs"), answered
// on a fixture whose right answers are known: through the query functions and through the
// customers page itself. Also the segment summary and keyset paging.
import { describe, expect, it } from 'vitest'
import { useTestApp } from '../../test/support/db.js'
import { parseCustomerFilter } from './filter.js'
import { QUESTIONS, useQuestions } from '../../test/support/customers-fixture.js'
import { customersPage, listCustomers, summarizeCustomers } from './query.js'

const t = useTestApp()
const fx = useQuestions(t)

const local = (email: string) => email.split('@')[0]!
const sorted = (xs: string[]) => [...xs].sort()

async function answer(query: string) {
  const f = parseCustomerFilter(new URLSearchParams(query))
  const page = await listCustomers(t.db, fx.accountId, { ...f, limit: 200 })
  return page.rows.map((r) => local(r.email))
}

async function pageEmails(query: string) {
  const res = await t.app.request(`/customers?${query}`, { headers: { Cookie: fx.cookie } })
  const html = await res.text()
  const emails = [...html.matchAll(/data-customer="([^"]+)"/g)].map((m) => local(m[1]!))
  const count = /data-testid="segment-count">([\d,]+)</.exec(html)?.[1]
  return {
    status: res.status,
    emails,
    count: count ? Number(count.replace(/,/g, '')) : undefined,
    html,
  }
}

describe('the 14 questions, through the query functions', () => {
  it.each(QUESTIONS)('Q$n $question: $query', async ({ query, answer: expected }) => {
    expect(sorted(await answer(query))).toEqual(sorted(expected))
  })
})

describe('the 14 questions, through GET /customers', () => {
  it.each(QUESTIONS)('Q$n $question: $query', async ({ query, answer: expected }) => {
    const { status, emails, count } = await pageEmails(query)
    expect(status).toBe(200)
    expect(sorted(emails)).toEqual(sorted(expected))
    expect(count).toBe(expected.length)
  })
})

describe('answers in more detail', () => {
  it('Q7: sorted by last activity, the least recently active first', async () => {
    const order = await answer('sort=last_activity')
    expect(order[0]).toBe('cy')
    expect(order.at(-1)).toBe('fay') // identified on B and C just now
    expect(await answer('sort=-last_activity')).toEqual([...order].reverse())
  })

  const summary = (query: string) =>
    summarizeCustomers(t.db, fx.accountId, parseCustomerFilter(new URLSearchParams(query)))

  it('Q10: the sum of mrr over the pro relations, and over all the pro subscribers’ products', async () => {
    const s = await summary('p=plan:eq:pro&sum=mrr')
    expect(s.count).toBe(3)
    // The relations whose plan is pro: alex 29 (A), bea 19 (B), fay — (A) + 49 (B).
    expect(s.sum).toMatchObject({ key: 'mrr', matched: 97, selective: true })
    // All of their products: fay's basic plan on C (10) too.
    expect(s.sum?.all).toBe(107)
    // One project's: the B relations of the segment (bea 19, fay 49), pro on B both.
    expect((await summary('p=plan:eq:pro&sum=app-b.mrr')).sum).toMatchObject({
      matched: 68,
      all: 68,
    })
    // Without a condition on relations, every relation matched: one number.
    expect((await summary('q=fay&sum=mrr')).sum).toMatchObject({
      matched: 59,
      all: 59,
      selective: false,
    })
    // The relations a project condition names: in=app-b:paid is bea's and fay's B.
    expect((await summary('in=app-b:paid&sum=mrr')).sum).toMatchObject({ matched: 68, all: 78 })
    // A condition on B matches no relation of C: C's sum has no "matched" part, only its whole
    // (fay's basic plan on C, 10).
    expect((await summary('in=app-b:paid&sum=app-c.mrr')).sum).toMatchObject({
      all: 10,
      selective: false,
    })
    // A condition on any project (or on C) can match C's relations.
    expect((await summary('status=paid&sum=app-c.mrr')).sum).toMatchObject({ selective: true })
  })

  it('Q5: the relations of either condition count, one project each', async () => {
    // bea: free on A (no mrr), paid on B (19).
    expect((await summary('in=app-a:free&in=app-b:paid&sum=mrr')).sum).toMatchObject({
      matched: 19,
      all: 19,
    })
  })

  it("each status count links to the segment narrowed to it (seed 003's \"click 'trial'\")", async () => {
    const links = (html: string) =>
      [...html.matchAll(/<li class="status-count"[^>]*><a href="([^"]+)"/g)].map((m) =>
        m[1]!.replace(/&amp;/g, '&'),
      )
    const all = await pageEmails('')
    expect(links(all.html)).toEqual([
      '/customers?status=free',
      '/customers?status=trial',
      '/customers?status=paid',
      '/customers?status=churned',
    ])
    // The trial link's segment: every customer on trial in any product.
    const trial = await pageEmails('status=trial')
    expect(sorted(trial.emails)).toEqual(sorted(await answer('status=trial')))
    expect(trial.emails.length).toBeGreaterThan(0)
    // Per project the filter names: that project's status, added to the filter, from page 1.
    const a = await pageEmails('in=app-a&sort=email&limit=2')
    expect(links(a.html)).toContain('/customers?sort=email&limit=2&in=app-a:trial')
  })

  it('summarises the segment by best status, and per project the filter names', async () => {
    const all = await summary('')
    expect(all.count).toBe(8)
    expect(all.byStatus).toEqual({ paid: 3, trial: 2, free: 3, churned: 0 })
    expect(all.byProject).toEqual([])
    expect(all.projects.map((p) => p.slug)).toEqual(['app-a', 'app-b', 'app-c'])
    const a = await summary('in=app-a')
    expect(a.byStatus).toEqual({ paid: 3, trial: 1, free: 1, churned: 0 })
    expect(a.byProject).toEqual([
      { slug: 'app-a', byStatus: { paid: 1, trial: 1, free: 2, churned: 1 } },
    ])
    // Churned on A and a customer of B: fay churned on A and paid on B counts in both.
    const q12 = await summary('in=app-a:churned&in=app-b:free,trial,paid')
    expect(q12.byProject).toEqual([
      { slug: 'app-a', byStatus: { paid: 0, trial: 0, free: 0, churned: 1 } },
      { slug: 'app-b', byStatus: { paid: 1, trial: 0, free: 0, churned: 0 } },
    ])
    // A project not_in= excludes whole has no customer in the segment: no row of zeros for it.
    const q4 = await summary('in=app-a&not_in=app-b')
    expect(q4.byProject.map((p) => p.slug)).toEqual(['app-a'])
    const notB = await summary('not_in=app-b')
    expect(notB.byProject).toEqual([])
    expect(Object.values(notB.byStatus).reduce((n, c) => n + c, 0)).toBe(notB.count)
    // Excluded with statuses, the project still has customers in the segment.
    expect((await summary('not_in=app-b:paid')).byProject.map((p) => p.slug)).toEqual(['app-b'])
  })

  it('repeated status= are two conditions: paid somewhere and trial somewhere', async () => {
    expect(await answer('status=paid&status=trial')).toEqual([])
    expect(sorted(await answer('status=paid,trial'))).toEqual(['alex', 'bea', 'dee', 'eve', 'fay'])
    expect(sorted(await answer('status=free&status=paid'))).toEqual(['alex', 'bea'])
  })

  it('scopes params filters to one project with a slug prefix', async () => {
    expect(sorted(await answer('p=app-b.plan:eq:pro'))).toEqual(['bea', 'fay'])
    expect(sorted(await answer('p=app-a.plan:eq:pro'))).toEqual(['alex', 'fay'])
    expect(sorted(await answer('p=app-c.mrr:gte:10'))).toEqual(['fay'])
  })

  it('compares params as their type', async () => {
    expect(sorted(await answer('p=mrr:gt:20'))).toEqual(['alex', 'fay']) // 29, 49 (not "100" < "20" as text)
    expect(sorted(await answer('p=mrr:between:10,19'))).toEqual(['bea', 'fay'])
    expect(sorted(await answer('p=mrr:lt:11'))).toEqual(['fay'])
    expect(sorted(await answer('p=trial_ends:gte:2026-04-01'))).toEqual(['eve'])
    expect(sorted(await answer('p=trial_ends:lt:2026-04-10T10:00'))).toEqual(['dee', 'eve'])
    // Days from today: both trials ended before today, and neither ends in the next week.
    expect(sorted(await answer('p=trial_ends:lt:+0d'))).toEqual(['dee', 'eve'])
    expect(await answer('p=trial_ends:between:+0d,+7d')).toEqual([])
    // A date compares only a text shaped like one: not "pro" (after "2026-…" as text), nor 10.
    expect(await answer('p=plan:gte:2026-01-01')).toEqual([])
    expect(await answer('p=mrr:lt:2026-01-01')).toEqual([])
    // A number compares only a JSON number: not a text (jsonb orders texts below numbers), nor a
    // boolean (above them).
    expect(await answer('p=plan:lt:1000000')).toEqual([])
    expect(await answer('p=beta:gt:0')).toEqual([])
    expect(await answer('p=beta:between:-1,1')).toEqual([])
    expect(sorted(await answer('p=beta:eq:false'))).toEqual(['bea'])
    expect(sorted(await answer('p=plan:gt:f'))).toEqual(['alex', 'bea', 'fay']) // pro > f, free > f
    expect(sorted(await answer('p=beta:ne:true'))).toEqual([
      'alex',
      'bea',
      'cy',
      'dee',
      'fay',
      'gus',
    ])
  })

  it('contains: a substring of a string (any case), or a member of an array', async () => {
    expect(sorted(await answer('p=source:contains:HUNT'))).toEqual(['alex', 'hal'])
    expect(await answer('p=tags:contains:vip')).toEqual(['dee'])
    expect(await answer('p=tags:contains:v')).toEqual([])
    // A quoted value is the text inside the quotes, not the quotes themselves.
    expect(sorted(await answer('p=source:contains:"HUNT"'))).toEqual(['alex', 'hal'])
  })

  it('exists and missing', async () => {
    expect(sorted(await answer('p=trial_ends:exists'))).toEqual(['dee', 'eve'])
    expect(sorted(await answer('in=app-a&p=source:missing'))).toEqual(['cy', 'dee', 'fay'])
  })

  it('never shows another account’s customers, even with the same email', async () => {
    expect(await answer('q=alex')).toEqual(['alex'])
    const rows = (
      await listCustomers(t.db, fx.accountId, parseCustomerFilter(new URLSearchParams('q=alex')))
    ).rows
    expect(rows[0]!.name).toBe('Alex Chen')
    const other = await listCustomers(
      t.db,
      fx.otherAccountId,
      parseCustomerFilter(new URLSearchParams('')),
    )
    expect(other.rows.map((r) => r.name)).toEqual(['Other Alex'])
  })
})

describe('keyset paging', () => {
  const sorts = [
    '-last_activity',
    'last_activity',
    'first_seen',
    '-first_seen',
    'email',
    '-email',
    'name',
    '-name',
  ]
  it.each(sorts)('walks every customer once in sort=%s, 3 at a time', async (sort) => {
    const whole = await answer(`sort=${sort}`)
    expect(whole).toHaveLength(8)
    const walked: string[] = []
    let after: string | undefined
    for (let i = 0; i < 10; i++) {
      const q = new URLSearchParams({ sort, limit: '3', ...(after ? { after } : {}) })
      const page = await listCustomers(t.db, fx.accountId, parseCustomerFilter(q))
      walked.push(...page.rows.map((r) => local(r.email)))
      after = page.next
      if (!after) break
    }
    expect(walked).toEqual(whole)
  })

  it.each(sorts)(
    'walks back with before= from the last page in sort=%s, each page knowing its place',
    async (sort) => {
      const whole = await answer(`sort=${sort}`)
      let q = new URLSearchParams({ sort, limit: '3' })
      const offsets: number[] = []
      // Forwards to the last page…
      for (;;) {
        const { next, summary } = await customersPage(t.db, fx.accountId, parseCustomerFilter(q))
        offsets.push(summary.offset)
        if (!next) break
        q = new URLSearchParams({ sort, limit: '3', after: next })
      }
      expect(offsets).toEqual([0, 3, 6])
      // …then back: the same pages in reverse, the first without a previous one.
      const pages: string[][] = []
      const backOffsets: number[] = []
      for (;;) {
        const page = await customersPage(t.db, fx.accountId, parseCustomerFilter(q))
        pages.unshift(page.rows.map((r) => local(r.email)))
        backOffsets.push(page.summary.offset)
        if (!page.prev) break
        q = new URLSearchParams({ sort, limit: '3', before: page.prev })
      }
      expect(pages.flat()).toEqual(whole)
      expect(backOffsets).toEqual([6, 3, 0])
    },
  )

  it('the page links carry the cursor, and the last page has no next link', async () => {
    const first = await pageEmails('sort=email&limit=5')
    expect(first.emails).toEqual(['alex', 'bea', 'cy', 'dee', 'eve'])
    const next = /<a rel="next"[^>]* href="([^"]+)"/.exec(first.html)?.[1]?.replace(/&amp;/g, '&')
    expect(next).toMatch(/^\/customers\?sort=email&limit=5&after=/)
    const second = await pageEmails(next!.slice('/customers?'.length))
    expect(second.emails).toEqual(['fay', 'gus', 'hal'])
    expect(second.html).not.toContain('rel="next"')
    expect(second.count).toBe(8) // the count is the whole segment's, not the page's
  })

  it('one customers page is two statements (plus the session lookup)', async () => {
    t.statements.length = 0
    const f = parseCustomerFilter(new URLSearchParams('in=app-a&p=plan:eq:pro&sum=mrr&q=a'))
    await customersPage(t.db, fx.accountId, f)
    expect(t.statements).toHaveLength(2)
    t.statements.length = 0
    await pageEmails(
      'in=app-a:paid&in=app-b&not_in=app-c&status=paid&min_projects=2&inactive=1&p=mrr:gte:1&sum=mrr',
    )
    expect(t.statements.length).toBeLessThanOrEqual(3)
  })
})
