// Saved views' writes racing each other on a real PostgreSQL (PGlite runs one statement at a time
// and hides every race): creates with one name, creates past the limit, moves and reorders beside
// creates, and an account's first two projects created at once. Each race holds a lock on
// saved_views (or projects) until every writer waits on it, then lets them all go together.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { NodeDb } from '../db/node.js'
import { ApiError } from '../lib/errors.js'
import { createAccount } from '../accounts/store.js'
import { createProject } from '../projects/store.js'
import { seedAccount } from '../../test/support/fixtures.js'
import { openGate, openTestDb, type Gate } from '../../test/support/pg-harness.js'
import { READY_VIEWS } from './ready.js'
import { moveView, reorderViews } from './order.js'
import { MAX_VIEWS, createView, listViews } from './store.js'

const APP_NAME = 'tinycrm-saved-view-races'
const WRITERS = 12
const TRIALS = 40

const later = <T>(ms: number, write: () => Promise<T>) =>
  new Promise<void>((r) => setTimeout(r, ms)).then(write)
const settle = (writes: Promise<unknown>[]) =>
  Promise.all(
    writes.map((p) =>
      p.then(
        (value): Outcome => ({ value }),
        (error): Outcome => ({ error }),
      ),
    ),
  )

type Outcome = { value?: unknown; error?: unknown }

let node: NodeDb
let gates: Record<'saved_views' | 'projects', Gate>

beforeAll(async () => {
  node = await openTestDb({ appName: APP_NAME, poolSize: WRITERS + 4 })
  // EXCLUSIVE lets reads through and parks every write.
  const gate = (table: string) => openGate({ appName: APP_NAME, table, mode: 'EXCLUSIVE' })
  gates = { saved_views: gate('saved_views'), projects: gate('projects') }
})
afterAll(async () => {
  await gates?.saved_views.close()
  await gates?.projects.close()
  await node?.close()
})

/** Holds `table` locked while `fire()` starts its writes, until `waiters` of them wait on the
 *  lock, then releases them together. Returns every write's outcome. */
function together(
  table: keyof typeof gates,
  waiters: number,
  fire: () => Promise<unknown>[],
): Promise<Outcome[]> {
  return gates[table].gated(waiters, () => settle(fire()))
}

const ok = (r: Outcome[]) => r.filter((x) => 'value' in x)
const errors = (r: Outcome[]) => r.filter((x) => 'error' in x).map((x) => x.error as ApiError)

/** Positions are unique and the rail holds exactly these names. */
async function expectRail(accountId: number, names: string[]) {
  const views = await listViews(node.db, accountId)
  expect(new Set(views.map((v) => v.position)).size).toBe(views.length)
  expect(views.map((v) => v.name).sort()).toEqual([...names].sort())
  return views
}

describe('saved views under concurrent writes', () => {
  it('one name, many creates at once: one view, the others told the name is taken', async () => {
    const { accountId } = await seedAccount(node.db, ['App A'])
    const results = await together('saved_views', WRITERS, () =>
      Array.from({ length: WRITERS }, () =>
        createView(node.db, accountId, { name: 'Paying', query: 'in=app-a:paid' }),
      ),
    )
    expect(ok(results)).toHaveLength(1)
    for (const e of errors(results)) {
      expect(e).toBeInstanceOf(ApiError)
      expect(e.message).toBe("name: you already have a view named 'Paying'")
    }
    await expectRail(accountId, ['Paying'])
  })

  it('many names at once: every view saved, each in its own place', async () => {
    const { accountId } = await seedAccount(node.db, ['App A'])
    const names = Array.from({ length: WRITERS }, (_, i) => `View ${i}`)
    const results = await together('saved_views', WRITERS, () =>
      names.map((name) => createView(node.db, accountId, { name, query: 'status=paid' })),
    )
    expect(errors(results)).toEqual([])
    await expectRail(accountId, names)
  })

  it('never more than the limit, however many arrive at once', async () => {
    const { accountId } = await seedAccount(node.db, ['App A'])
    const have = MAX_VIEWS - 3
    for (let i = 0; i < have; i++) {
      await createView(node.db, accountId, { name: `Old ${i}`, query: 'status=paid' })
    }
    const results = await together('saved_views', WRITERS, () =>
      Array.from({ length: WRITERS }, (_, i) =>
        createView(node.db, accountId, { name: `New ${i}`, query: 'status=trial' }),
      ),
    )
    expect(ok(results)).toHaveLength(3)
    for (const e of errors(results)) {
      expect(e.message).toBe(`name: at most ${MAX_VIEWS} views: delete one first`)
    }
    expect(await listViews(node.db, accountId)).toHaveLength(MAX_VIEWS)
  })

  it('moves, reorders and creates at once keep every view, each in its own place', async () => {
    const { accountId } = await seedAccount(node.db, ['App A'])
    const names = ['a', 'b', 'c', 'd', 'e']
    for (const name of names) await createView(node.db, accountId, { name, query: '' })
    const ids = (await listViews(node.db, accountId)).map((v) => v.id)
    const results = await together('saved_views', 8, () => [
      moveView(node.db, accountId, ids[1]!, -1),
      moveView(node.db, accountId, ids[2]!, -1),
      moveView(node.db, accountId, ids[3]!, 1),
      moveView(node.db, accountId, ids[0]!, 1),
      reorderViews(node.db, accountId, [...ids].reverse()),
      reorderViews(node.db, accountId, ids),
      createView(node.db, accountId, { name: 'f', query: 'status=paid' }),
      createView(node.db, accountId, { name: 'g', query: 'status=free' }),
    ])
    expect(errors(results)).toEqual([])
    await expectRail(accountId, [...names, 'f', 'g'])
  })

  it('a reorder sent with the rail as it was before a view was created: done, the new view last', async () => {
    const { accountId } = await seedAccount(node.db, ['App A'])
    for (const name of ['a', 'b', 'c']) await createView(node.db, accountId, { name, query: '' })
    const seen = (await listViews(node.db, accountId)).map((v) => v.id)
    const created = await createView(node.db, accountId, { name: 'new', query: 'status=paid' })
    const views = await reorderViews(node.db, accountId, [...seen].reverse())
    expect(views.map((v) => v.name)).toEqual(['c', 'b', 'a', 'new'])
    expect(views.at(-1)!.id).toBe(created.id)
  })

  it(`${TRIALS} trials: a reorder and moves racing creates are never refused and lose no view`, async () => {
    const { accountId } = await seedAccount(node.db, ['App A'])
    const names = ['a', 'b', 'c', 'd']
    for (let trial = 0; trial < TRIALS; trial++) {
      await node.db.deleteFrom('saved_views').where('account_id', '=', accountId).execute()
      for (const name of names) await createView(node.db, accountId, { name, query: '' })
      const ids = (await listViews(node.db, accountId)).map((v) => v.id)
      const created = [`new ${trial}`, `newer ${trial}`]
      const fire = () => [
        ...created.map((name) => createView(node.db, accountId, { name, query: 'status=paid' })),
        // Half the trials give the creates a head start, so some commit before the reorder reads
        // the rail (the other half release every write at once from behind a lock).
        later(trial % 2 ? trial % 5 : 0, () =>
          reorderViews(node.db, accountId, [...ids].reverse()),
        ),
        moveView(node.db, accountId, ids[1]!, -1),
        moveView(node.db, accountId, ids[2]!, 1),
      ]
      const results = trial % 2 ? await settle(fire()) : await together('saved_views', 4, fire)
      expect(errors(results), `trial ${trial}`).toEqual([])
      await expectRail(accountId, [...names, ...created])
    }
  })

  it("an account's first two projects created at once: the ready views, once", async () => {
    const { accountId } = await createAccount(node.db, {
      email: `ready-${Date.now()}@example.com`,
      password: 'correct horse battery',
    })
    const results = await together('projects', 3, () =>
      ['Invoicely', 'FormBox', 'Third'].map((name) => createProject(node.db, { accountId, name })),
    )
    expect(errors(results)).toEqual([])
    const views = await listViews(node.db, accountId)
    expect(views).toHaveLength(READY_VIEWS.length)
    expect(new Set(views.map((v) => v.position)).size).toBe(views.length)
    // Written with the account's own slugs: whichever two projects came first.
    const slugs = (await node.db.selectFrom('projects').select('slug').execute()).map((p) => p.slug)
    const named = views.find((v) => v.query.startsWith('in=') && v.query.includes(':paid'))
    expect(slugs).toContain(/^in=([a-z0-9-]+)/.exec(named!.query)![1])
  })
})
