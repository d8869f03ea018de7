// The customers page writes a filter's projects as the ids the account's last page saw
// (./project-ids.ts): later pages read them so, and no id the account's projects have since
// changed ever answers a page, nor one of another account's.
import { describe, expect, it } from 'vitest'
import { createAccountToken } from '../account-api/tokens.js'
import { createApp } from '../app.js'
import { ingestForProject } from '../ingest/upsert.js'
import { deleteProject } from '../projects/delete.js'
import { createProject } from '../projects/store.js'
import { useTestDb } from '../../test/support/db.js'
import { seedAccount } from '../../test/support/fixtures.js'
import { parseCustomerFilter } from './filter.js'
import { knownProjectIds, rememberProjectIds } from './project-ids.js'
import { customersPage, rowsQuery } from './query.js'

const t = useTestDb()

const filter = (query: string) => parseCustomerFilter(new URLSearchParams(query))

async function identify(projectId: number, email: string, status = 'free') {
  await ingestForProject(t.db, projectId, [{ type: 'identify', email, status } as never])
}

async function page(accountId: number, query: string) {
  const { rows, summary } = await customersPage(t.db, accountId, filter(query))
  return { emails: rows.map((r) => r.email).sort(), count: summary.count, summary }
}

describe('the project ids a page remembers', () => {
  it('are the account’s projects after its first page, and later rows statements use them', async () => {
    const { accountId, projects } = await seedAccount(t.db, ['App A', 'App B'])
    const [a, b] = projects.map((p) => p.project.id) as [number, number]
    await identify(a, 'x@example.com', 'paid')
    await identify(b, 'x@example.com')
    await identify(b, 'y@example.com')

    expect(await page(accountId, 'in=app-a&in=app-b')).toMatchObject({
      emails: ['x@example.com'],
    })
    const known = knownProjectIds(accountId)
    expect(known).toEqual(
      new Map([
        ['app-a', a],
        ['app-b', b],
      ]),
    )
    const { sql } = rowsQuery(accountId, filter('in=app-a&in=app-b'), known).compile(t.db)
    expect(sql).not.toContain('FROM projects')
    const again = await page(accountId, 'in=app-a:paid&in=app-b&sum=app-b.mrr')
    expect(again).toMatchObject({ emails: ['x@example.com'], count: 1 })
    expect(again.summary.byProject.map((p) => p.slug)).toEqual(['app-a', 'app-b'])
  })

  it('give way to a new project that took a deleted one’s slug: its customers, not the old ones', async () => {
    const { accountId, projects } = await seedAccount(t.db, ['App A', 'App B'])
    const [a, b] = projects.map((p) => p.project.id) as [number, number]
    await identify(a, 'old@example.com')
    await identify(b, 'old@example.com', 'paid')
    expect((await page(accountId, 'in=app-b:paid')).emails).toEqual(['old@example.com'])

    await deleteProject(t.db, accountId, b)
    const { project: newB } = await createProject(t.db, { accountId, name: 'App B' })
    expect(newB.slug).toBe('app-b')
    await identify(newB.id, 'new@example.com', 'paid')

    const after = await page(accountId, 'in=app-b:paid')
    expect(after).toMatchObject({ emails: ['new@example.com'], count: 1 })
    expect(after.summary.byProject).toEqual([
      { slug: 'app-b', byStatus: { paid: 1, trial: 0, free: 0, churned: 0 } },
    ])
    expect(knownProjectIds(accountId)?.get('app-b')).toBe(newB.id)
    expect((await page(accountId, 'active=1@app-b')).emails).toEqual(['new@example.com'])
  })

  it('give way to a project created since, and an unknown slug still matches nothing', async () => {
    const { accountId, projects } = await seedAccount(t.db, ['App A'])
    await identify(projects[0]!.project.id, 'a@example.com')
    expect(await page(accountId, 'in=app-c')).toMatchObject({ emails: [], count: 0 })
    expect((await page(accountId, 'not_in=app-c')).emails).toEqual(['a@example.com'])

    const { project: c } = await createProject(t.db, { accountId, name: 'App C' })
    await identify(c.id, 'c@example.com')
    expect(await page(accountId, 'in=app-c')).toMatchObject({ emails: ['c@example.com'], count: 1 })
    expect((await page(accountId, 'not_in=app-c')).emails).toEqual(['a@example.com'])
    expect(await page(accountId, 'in=nothing-here')).toMatchObject({ emails: [], count: 0 })
  })

  it('are kept per account: the same slug in two accounts reads each one’s own project', async () => {
    const one = await seedAccount(t.db, ['App A'])
    const two = await seedAccount(t.db, ['App A'])
    await identify(one.projects[0]!.project.id, 'one@example.com')
    await identify(two.projects[0]!.project.id, 'two@example.com')
    for (let i = 0; i < 2; i++) {
      expect((await page(one.accountId, 'in=app-a')).emails).toEqual(['one@example.com'])
      expect((await page(two.accountId, 'in=app-a')).emails).toEqual(['two@example.com'])
    }
  })

  it('in the account API too: a slug taken by a new project answers with its customers', async () => {
    const { accountId, projects } = await seedAccount(t.db, ['App A', 'App B'])
    const b = projects[1]!.project.id
    await identify(b, 'old@example.com', 'paid')
    const { token } = await createAccountToken(t.db, accountId, 'script')
    const app = createApp({ db: t.db })
    const emails = async () => {
      const res = await app.request('/v1/customers?in=app-b:paid', {
        headers: { Authorization: `Bearer ${token}` },
      })
      expect(res.status).toBe(200)
      const body = (await res.json()) as { customers: { email: string }[] }
      return body.customers.map((c) => c.email)
    }
    expect(await emails()).toEqual(['old@example.com'])
    expect(knownProjectIds(accountId)?.get('app-b')).toBe(b)

    await deleteProject(t.db, accountId, b)
    const { project: newB } = await createProject(t.db, { accountId, name: 'App B' })
    await identify(newB.id, 'new@example.com', 'paid')
    expect(await emails()).toEqual(['new@example.com'])
    expect(knownProjectIds(accountId)?.get('app-b')).toBe(newB.id)
  })

  it('are kept for the most recently used 1,000 accounts', () => {
    const first = -1
    rememberProjectIds(first, [{ id: 1, slug: 'app-a' }])
    for (let i = 2; i <= 1_000; i++) rememberProjectIds(-i, [{ id: i, slug: 'app-a' }])
    expect(knownProjectIds(first)?.get('app-a')).toBe(1) // used: now the most recent
    rememberProjectIds(-1_001, [{ id: 1_001, slug: 'app-a' }])
    expect(knownProjectIds(first)).toBeDefined()
    expect(knownProjectIds(-2)).toBeUndefined()
  })
})
