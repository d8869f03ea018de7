// The customers' summary columns (relation_keys, project_count, best_rank; migration
// 2026-11-30T00) follow every write path that changes a customer's relations, and the filters
// that read them answer as the relations do.
import { sql } from 'kysely'
import { describe, expect, it } from 'vitest'
import { ingestForProject } from '../ingest/upsert.js'
import { deleteCustomer } from '../merges/erase.js'
import { mergeCustomers, undoMerge } from '../merges/store.js'
import { deleteProject } from '../projects/delete.js'
import { useTestDb } from '../../test/support/db.js'
import { seedAccount } from '../../test/support/fixtures.js'
import { summaryMismatches } from '../../test/support/summary-columns.js'
import { parseCustomerFilter } from './filter.js'
import { customersPage } from './query.js'
import { RANK_ORDER } from './relation-keys.js'
import { ownConditions } from './conditions.js'
import type { Status } from '../lib/status.js'

const t = useTestDb()

describe('summary columns', () => {
  it('follow ingest, status changes, merge, undo, delete and a project deletion', async () => {
    const seeded = await seedAccount(t.db, ['App A', 'App B', 'App C'])
    const acct = seeded.accountId
    const [a, b, c] = seeded.projects.map((p) => p.project.id) as [number, number, number]
    const identify = async (project: number, email: string, status?: string) => {
      const [r] = await ingestForProject(t.db, project, [
        { type: 'identify', email, ...(status ? { status } : {}) } as never,
      ])
      return (r as { customerId: number }).customerId
    }
    const check = async () => expect(await summaryMismatches(t.db, acct)).toEqual([])
    const emails = async (query: string) =>
      (await customersPage(t.db, acct, parseCustomerFilter(new URLSearchParams(query)))).rows
        .map((r) => r.email)
        .sort()

    const x = await identify(a, 'x@example.com', 'paid')
    await identify(b, 'x@example.com', 'churned')
    const y = await identify(b, 'y@example.com', 'trial')
    await identify(c, 'y@example.com')
    await ingestForProject(t.db, c, [
      { type: 'identify', email: 'z@example.com', status: 'trial' } as never,
      { type: 'identify', email: 'w@example.com', status: 'free' } as never,
    ])
    await check()
    expect(await emails('in=app-b:churned')).toEqual(['x@example.com'])
    expect(await emails('status=trial&min_projects=2')).toEqual(['y@example.com'])
    expect(await emails('not_in=app-a&not_status=free')).toEqual(['z@example.com'])

    // A status that changes moves the keys; a ping or a returning identify leaves them.
    await identify(a, 'x@example.com', 'trial')
    await ingestForProject(t.db, b, [{ type: 'ping', email: 'y@example.com' } as never])
    await check()
    expect(await emails('in=app-a:paid')).toEqual([])
    expect(await emails('in=app-a:trial')).toEqual(['x@example.com'])

    const { mergeId } = await mergeCustomers(t.db, {
      accountId: acct,
      survivorId: x,
      absorbedId: y,
      actor: 'user:1',
    })
    await check()
    expect(await emails('min_projects=3')).toEqual(['x@example.com'])
    await undoMerge(t.db, { accountId: acct, mergeId, actor: 'user:1' })
    await check()
    expect(await emails('min_projects=2')).toEqual(['x@example.com', 'y@example.com'])

    await deleteProject(t.db, acct, b)
    await check()
    expect(await emails('status=churned')).toEqual([])
    await deleteCustomer(t.db, { accountId: acct, customerId: x, actor: 'user:1' })
    await check()

    const page = await customersPage(t.db, acct, parseCustomerFilter(new URLSearchParams('')))
    expect(page.summary.byStatus).toEqual({ paid: 0, trial: 1, free: 2, churned: 0 })
  })

  it('are written with a new customer’s row, which the summary trigger then leaves as it is', async () => {
    const seeded = await seedAccount(t.db, ['App A'])
    const project = seeded.projects[0]!.project.id
    await ingestForProject(t.db, project, [
      { type: 'identify', email: 'one@example.com', status: 'paid' } as never,
    ])
    await ingestForProject(t.db, project, [
      { type: 'identify', email: 'two@example.com' } as never,
      { type: 'identify', email: 'three@example.com', status: 'churned' } as never,
    ])
    expect(await summaryMismatches(t.db, seeded.accountId)).toEqual([])
    // cmin: the command of its transaction that wrote the row's version. The ingest statement is
    // the first (0); a rewrite by the trigger that runs after it would be a later one.
    const { rows } = await sql<{ email: string; cmin: string }>`
      SELECT email, cmin::text FROM customers WHERE account_id = ${seeded.accountId}
      ORDER BY email`.execute(t.db)
    expect(rows).toEqual([
      { email: 'one@example.com', cmin: '0' },
      { email: 'three@example.com', cmin: '0' },
      { email: 'two@example.com', cmin: '0' },
    ])
  })

  it('answer statuses anywhere by the best rank where they come down to it, as the relations do', async () => {
    // One customer per set of statuses it can hold over its projects (project i has status i),
    // and one without relations (no best rank).
    const seeded = await seedAccount(t.db, ['P1', 'P2', 'P3', 'P4'])
    const acct = seeded.accountId
    const ids = seeded.projects.map((p) => p.project.id)
    const holds = new Map<string, Status[]>()
    for (let mask = 1; mask < 16; mask++) {
      const held = RANK_ORDER.filter((_, i) => mask & (1 << i))
      const email = `${held.join('-')}@example.com`
      holds.set(email, held)
      for (const status of held) {
        await ingestForProject(t.db, ids[RANK_ORDER.indexOf(status)]!, [
          { type: 'identify', email, status } as never,
        ])
      }
    }
    await ingestForProject(t.db, ids[0]!, [
      { type: 'identify', email: 'none@example.com' } as never,
    ])
    await sql`DELETE FROM customer_projects WHERE customer_id =
      (SELECT id FROM customers WHERE email = 'none@example.com')`.execute(t.db)
    holds.set('none@example.com', [])
    expect(await summaryMismatches(t.db, acct)).toEqual([])

    const groups = ['paid', 'trial', 'free', 'churned', 'paid,trial', 'trial,free', 'paid,churned']
    const some = (held: Status[], group: string) =>
      group.split(',').some((s) => held.includes(s as Status))
    const byRank: string[] = []
    for (const status of ['', ...groups, 'paid&status=free']) {
      for (const notStatus of ['', ...groups]) {
        if (!status && !notStatus) continue
        const query = `${status ? `status=${status}` : ''}&${notStatus ? `not_status=${notStatus}` : ''}`
        const f = parseCustomerFilter(new URLSearchParams(query))
        const expected = [...holds]
          .filter(([, held]) => f.status.every((g) => some(held, g.join(','))))
          .filter(([, held]) => f.notStatus.every((g) => !some(held, g.join(','))))
          .map(([email]) => email)
          .sort()
        const page = await customersPage(t.db, acct, f)
        expect({ query, emails: page.rows.map((r) => r.email).sort() }).toEqual({
          query,
          emails: expected,
        })
        expect(page.summary.count).toBe(expected.length)
        const compiled = sql`${sql.join(ownConditions(acct, f))}`.compile(t.db).sql
        if (compiled.includes('best_rank')) byRank.push(query)
      }
    }
    // Those a best rank says: never paid, still free, paid somewhere, trial at best, …
    expect(byRank).toEqual([
      '&not_status=paid',
      '&not_status=paid,trial',
      'status=paid&',
      'status=trial&not_status=paid',
      'status=free&not_status=paid,trial',
      'status=paid,trial&',
      'status=paid,trial&not_status=paid',
      'status=trial,free&not_status=paid',
      'status=trial,free&not_status=paid,trial',
    ])
  })
})
