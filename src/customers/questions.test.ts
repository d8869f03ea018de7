// The 14 questions the product must answer (the README's "The 14 questions, as URLs"), answered
// on a fixture whose right answers are known: through the query functions and through the
// customers page itself. Also the segment summary and keyset paging.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createApp } from '../app.js'
import { openTestDb, type TestDb } from '../../test/support/db.js'
import { parseCustomerFilter } from './filter.js'
import {
  QUESTIONS,
  seedQuestions,
  sessionCookie,
  type QuestionsFixture,
} from '../../test/support/customers-fixture.js'
import { customersPage, listCustomers, summarizeCustomers } from './query.js'

let t: TestDb
let app: ReturnType<typeof createApp>
let fx: QuestionsFixture
let cookie: string

beforeAll(async () => {
  t = await openTestDb()
  app = createApp({ db: t.db })
  fx = await seedQuestions(app, t.db)
  cookie = await sessionCookie(t.db, fx.userId)
})
afterAll(() => t.close())

const local = (email: string) => email.split('@')[0]!
const sorted = (xs: string[]) => [...xs].sort()

async function answer(query: string) {
  const f = parseCustomerFilter(new URLSearchParams(query))
  const page = await listCustomers(t.db, fx.accountId, { ...f, limit: 200 })
  return page.rows.map((r) => local(r.email))
}

async function pageEmails(query: string) {
  const res = await app.request(`/customers?${query}`, { headers: { Cookie: cookie } })
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

  it('Q10: the sum of mrr over the pro subscribers, in every project and in one', async () => {
    const f = parseCustomerFilter(new URLSearchParams('p=plan:eq:pro&sum=mrr'))
    const s = await summarizeCustomers(t.db, fx.accountId, f)
    expect(s.count).toBe(3)
    // alex 29 (A) + bea 19 (B) + fay 49 (B) + 10 (C): all of their mrr, whichever project.
    expect(s.sum).toBe(107)
    const onB = await summarizeCustomers(
      t.db,
      fx.accountId,
      parseCustomerFilter(new URLSearchParams('p=plan:eq:pro&sum=app-b.mrr')),
    )
    expect(onB.sum).toBe(68)
    const { html } = await pageEmails('p=plan:eq:pro&sum=mrr')
    expect(html).toContain('data-testid="segment-sum">107<')
  })

  it('summarises the segment by status: best status overall, or in the one project filtered on', async () => {
    const all = await summarizeCustomers(
      t.db,
      fx.accountId,
      parseCustomerFilter(new URLSearchParams('')),
    )
    expect(all.count).toBe(8)
    expect(all.byStatus).toEqual({ paid: 3, trial: 2, free: 3, churned: 0 })
    expect(all.breakdownProject).toBeNull()
    expect(all.projects.map((p) => p.slug)).toEqual(['app-a', 'app-b', 'app-c'])
    const a = await summarizeCustomers(
      t.db,
      fx.accountId,
      parseCustomerFilter(new URLSearchParams('in=app-a')),
    )
    expect(a.byStatus).toEqual({ paid: 1, trial: 1, free: 2, churned: 1 })
    expect(a.breakdownProject).toBe('app-a')
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

  it('the page links carry the cursor, and the last page has no next link', async () => {
    const first = await pageEmails('sort=email&limit=5')
    expect(first.emails).toEqual(['alex', 'bea', 'cy', 'dee', 'eve'])
    const next = /<a rel="next" href="([^"]+)"/.exec(first.html)?.[1]?.replace(/&amp;/g, '&')
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
