// The status breakdowns a filter decides by itself (./summary-parts.ts: a status the filter rules
// out counts 0 without testing anyone, and a single one left counts everyone) equal the
// breakdowns counted customer by customer from the segment's own rows: over random combinations
// of in=, not_in=, status= and not_status=, with and without statuses, on the questions' data.
import fc from 'fast-check'
import { beforeAll, expect, it } from 'vitest'
import { createApp } from '../app.js'
import { STATUSES, type Status } from '../lib/status.js'
import { useTestDb } from '../../test/support/db.js'
import { seedQuestions, type QuestionsFixture } from '../../test/support/customers-fixture.js'
import { parseCustomerFilter } from './filter.js'
import { customersPage } from './query.js'
import { RANK_ORDER } from './relation-keys.js'

const t = useTestDb()
let fx: QuestionsFixture

beforeAll(async () => {
  fx = await seedQuestions(createApp({ db: t.db }), t.db)
})

const slug = fc.constantFrom('app-a', 'app-b', 'app-c')
const statuses = fc.subarray([...STATUSES], { minLength: 0, maxLength: 3 })
const someStatuses = fc.subarray([...STATUSES], { minLength: 1, maxLength: 3 })
const part = fc.oneof(
  fc.tuple(slug, statuses).map(([p, s]) => `in=${p}${s.length ? `:${s.join(',')}` : ''}`),
  fc.tuple(slug, statuses).map(([p, s]) => `not_in=${p}${s.length ? `:${s.join(',')}` : ''}`),
  someStatuses.map((s) => `status=${s.join(',')}`),
  someStatuses.map((s) => `not_status=${s.join(',')}`),
)

const none = () => Object.fromEntries(STATUSES.map((s) => [s, 0])) as Record<Status, number>

it('counts per best status and per project what the rows say, whatever the filter rules out', async () => {
  const slugs = new Map<number, string>()
  await fc.assert(
    fc.asyncProperty(fc.array(part, { minLength: 1, maxLength: 4 }), async (parts) => {
      const query = [...parts, 'limit=200'].join('&')
      const page = await customersPage(
        t.db,
        fx.accountId,
        parseCustomerFilter(new URLSearchParams(query)),
      )
      for (const p of page.summary.projects) slugs.set(p.id, p.slug)
      const byStatus = none()
      const byProject = new Map(page.summary.byProject.map((p) => [p.slug, none()]))
      for (const row of page.rows) {
        const ranks = row.relations.map((r) => RANK_ORDER.indexOf(r.status))
        if (ranks.length) byStatus[RANK_ORDER[Math.min(...ranks)]!]++
        for (const r of row.relations) {
          const counts = byProject.get(slugs.get(r.projectId)!)
          if (counts) counts[r.status]++
        }
      }
      expect(page.rows.length, query).toBe(page.summary.count)
      expect(page.summary.byStatus, query).toEqual(byStatus)
      expect(page.summary.byProject, query).toEqual(
        [...byProject].map(([slug, byStatus]) => ({ slug, byStatus })),
      )
    }),
    { numRuns: 150 },
  )
})
