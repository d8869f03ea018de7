// Merge, undo and delete, on PGlite: what a merge combines, that undo restores the database
// exactly (full-table snapshots), that an injected failure leaves it untouched, and that a
// deleted customer leaves no personal data behind.
import { beforeEach, describe, expect, it } from 'vitest'
import { sql } from 'kysely'
import { ingestForProject } from '../ingest/upsert.js'
import { useTestDb } from '../../test/support/db.js'
import { seedAccount } from '../../test/support/fixtures.js'
import { deleteCustomer } from './erase.js'
import { mergeCustomers, undoMerge } from './store.js'
import { snapshot } from '../../test/support/merge-snapshot.js'
import { INJECTED, failingMerges } from '../../test/support/failing-merges.js'
import { createImport } from '../csv/upload.js'
import { loadJob, runStep, startDryRun } from '../csv/job.js'
import { suggestMapping } from '../csv/mapping.js'
import { listCustomers } from '../customers/query.js'
import { parseCustomerFilter } from '../customers/filter.js'

const t = useTestDb()
let accountId: number
let projectA: number
let projectB: number
let projectC: number

beforeEach(async () => {
  const seeded = await seedAccount(t.db, ['App A', 'App B', 'App C'])
  accountId = seeded.accountId
  ;[projectA, projectB, projectC] = seeded.projects.map((p) => p.project.id) as [
    number,
    number,
    number,
  ]
})

const actor = 'user:1'

async function identify(projectId: number, item: Record<string, unknown>) {
  const [r] = await ingestForProject(t.db, projectId, [{ type: 'identify', ...item } as never])
  return (r as { customerId: number }).customerId
}

/** Merges `absorbed` into `survivor` in this test's account. */
const merge = (survivor: number, absorbed: number) =>
  mergeCustomers(t.db, { accountId, survivorId: survivor, absorbedId: absorbed, actor })

async function relations(customerId: number) {
  return t.db
    .selectFrom('customer_projects')
    .selectAll()
    .where('customer_id', '=', customerId)
    .orderBy('project_id')
    .execute()
}

/** Two records of one person: ann@work in A and B, ann@home in B and C. */
async function twoRecords() {
  const work = await identify(projectA, {
    email: 'ann@work.example',
    name: 'Ann',
    status: 'paid',
    params: { plan: 'pro', seats: 3 },
    timestamp: new Date('2026-03-01T10:00:00Z'),
  })
  await identify(projectB, {
    email: 'ann@work.example',
    status: 'free',
    params: { source: 'work', shared: 'work' },
    timestamp: new Date('2026-04-01T10:00:00Z'),
  })
  const home = await identify(projectB, {
    email: 'ann@home.example',
    name: 'Ann Home',
    status: 'trial',
    params: { shared: 'home', extra: true },
    timestamp: new Date('2026-02-01T10:00:00Z'),
  })
  await identify(projectC, {
    email: 'ann@home.example',
    status: 'churned',
    params: { x: 1 },
    timestamp: new Date('2026-05-01T10:00:00Z'),
  })
  return { work, home }
}

describe('merge', () => {
  it('combines per project: newest status and params by time, earliest first seen, latest activity', async () => {
    const { work, home } = await twoRecords()
    const homeB = (await relations(home)).find((r) => r.project_id === projectB)!
    const workB = (await relations(work)).find((r) => r.project_id === projectB)!

    await merge(work, home)

    const rels = await relations(work)
    expect(rels.map((r) => r.project_id)).toEqual([projectA, projectB, projectC])
    const b = rels.find((r) => r.project_id === projectB)!
    // ann@home's relation to B arrived after ann@work's, but ann@work's status and `shared` carry
    // the later time (April, against February): newest wins, not last to arrive.
    expect(homeB.updated_at.getTime()).toBeGreaterThan(workB.updated_at.getTime())
    expect(b.status).toBe('free')
    expect(b.params).toEqual({ source: 'work', shared: 'work', extra: true })
    expect(b.first_seen_at.toISOString()).toBe('2026-02-01T10:00:00.000Z')
    expect(b.last_activity_at.toISOString()).toBe('2026-04-01T10:00:00.000Z')
    const c = rels.find((r) => r.project_id === projectC)!
    expect(c).toMatchObject({ status: 'churned', params: { x: 1 } })

    const customer = await t.db
      .selectFrom('customers')
      .selectAll()
      .where('id', '=', work)
      .executeTakeFirstOrThrow()
    expect(customer).toMatchObject({ email: 'ann@work.example', name: 'Ann' })
    expect(customer.created_at.toISOString()).toBe('2026-02-01T10:00:00.000Z')
    expect(customer.last_activity_at.toISOString()).toBe('2026-05-01T10:00:00.000Z')
    // The absorbed customer stays as a tombstone pointing at the survivor, listed nowhere.
    const gone = await t.db
      .selectFrom('customers')
      .select(['id', 'merged_into'])
      .where('id', '=', home)
      .execute()
    expect(gone).toEqual([{ id: home, merged_into: work }])
  })

  it('turns the absorbed email into an alias of the survivor', async () => {
    const { work, home } = await twoRecords()
    await merge(work, home)
    const aliases = await t.db
      .selectFrom('customers')
      .select(['id', 'email', 'merged_into'])
      .where('account_id', '=', accountId)
      .where('merged_into', 'is not', null)
      .execute()
    expect(aliases).toEqual([{ id: home, email: 'ann@home.example', merged_into: work }])
  })

  it('routes a later identify with the absorbed email to the survivor, creating nobody', async () => {
    const { work, home } = await twoRecords()
    await merge(work, home)
    const id = await identify(projectC, { email: 'ann@home.example', params: { late: true } })
    expect(id).toBe(work)
    expect((await relations(work)).find((r) => r.project_id === projectC)!.params).toEqual({
      x: 1,
      late: true,
    })
    const all = await t.db
      .selectFrom('customers')
      .select('email')
      .where('account_id', '=', accountId)
      .where('merged_into', 'is', null)
      .execute()
    expect(all).toEqual([{ email: 'ann@work.example' }])
  })

  it('carries earlier aliases of the absorbed customer over to the survivor', async () => {
    const { work, home } = await twoRecords()
    const old = await identify(projectA, { email: 'ann@old.example' })
    await merge(home, old)
    await merge(work, home)
    const aliases = await t.db
      .selectFrom('customers')
      .select(['email', 'merged_into'])
      .where('account_id', '=', accountId)
      .where('merged_into', 'is not', null)
      .orderBy('email')
      .execute()
    expect(aliases).toEqual([
      { email: 'ann@home.example', merged_into: work },
      { email: 'ann@old.example', merged_into: work },
    ])
  })

  it('refuses customers of another account and a customer merged into itself', async () => {
    const { work } = await twoRecords()
    const other = await seedAccount(t.db)
    const stranger = await identify(other.projects[0]!.project.id, { email: 'x@y.example' })
    const before = await snapshot(t.db)
    await expect(
      mergeCustomers(t.db, { accountId, survivorId: work, absorbedId: stranger, actor }),
    ).rejects.toMatchObject({ code: 'not_found' })
    await expect(
      mergeCustomers(t.db, {
        accountId: other.accountId,
        survivorId: stranger,
        absorbedId: work,
        actor,
      }),
    ).rejects.toMatchObject({ code: 'not_found' })
    await expect(
      mergeCustomers(t.db, { accountId, survivorId: work, absorbedId: work, actor }),
    ).rejects.toMatchObject({ code: 'validation_failed' })
    expect(await snapshot(t.db)).toEqual(before)
  })

  it('is one transaction: lock the customers, merge, write what billing says, record the survivor as merged', async () => {
    const { work, home } = await twoRecords()
    t.statements.length = 0
    await merge(work, home)
    expect(t.statements).toHaveLength(4)
    expect(t.statements[0]).toMatch(/FOR UPDATE OF f\s*\) l$/)
    expect(t.statements[2]).toMatch(/FOR UPDATE OF b/)
    expect(t.statements[3]).toMatch(/^\s*UPDATE merges SET snapshot/)
  })

  it('is atomic: a failure injected after every write leaves both customers as they were', async () => {
    const { work, home } = await twoRecords()
    const before = await snapshot(t.db)
    const merges = await t.db.selectFrom('merges').select('id').execute()
    const restore = await failingMerges(t.db)
    await expect(
      mergeCustomers(t.db, { accountId, survivorId: work, absorbedId: home, actor }),
    ).rejects.toThrow(INJECTED)
    await restore()
    expect(await snapshot(t.db)).toEqual(before)
    expect(await t.db.selectFrom('merges').select('id').execute()).toEqual(merges)
  })
})

describe('undo', () => {
  it('restores the database exactly as it was before the merge', async () => {
    const { work, home } = await twoRecords()
    const old = await identify(projectA, { email: 'ann@old.example', name: 'Old' })
    await merge(home, old)
    const before = await snapshot(t.db)

    const { mergeId } = await merge(work, home)
    expect(await snapshot(t.db)).not.toEqual(before)
    const undone = await undoMerge(t.db, { accountId, mergeId, actor })

    expect(undone.customerIds).toEqual([work, home])
    expect(await snapshot(t.db)).toEqual(before)
  })

  it('refuses (409) once new data arrived for the survivor, and changes nothing', async () => {
    const { work, home } = await twoRecords()
    const { mergeId } = await merge(work, home)
    await identify(projectA, { email: 'ann@work.example', params: { seats: 4 } })
    const after = await snapshot(t.db)
    await expect(undoMerge(t.db, { accountId, mergeId, actor })).rejects.toMatchObject({
      code: 'conflict',
      message: expect.stringMatching(/changed since the merge/),
    })
    expect(await snapshot(t.db)).toEqual(after)
  })

  it('leaves the absorbed email searchable: q= finds the survivor by it, and the undo gives it back', async () => {
    const { work, home } = await twoRecords()
    const found = async (q: string) =>
      (
        await listCustomers(t.db, accountId, parseCustomerFilter(new URLSearchParams({ q })))
      ).rows.map((r) => r.id)
    expect(await found('ann@home')).toEqual([home])
    const { mergeId } = await merge(work, home)
    expect(await found('ann@home')).toEqual([work])
    expect(await found('ANN@')).toEqual([work])
    await undoMerge(t.db, { accountId, mergeId, actor })
    expect(await found('ann@home')).toEqual([home])
  })

  it('is not refused by a ping that moved nothing (the survivor was already more recent)', async () => {
    // A ping on the absorbed email in a project only the survivor is in is answered "found" for
    // the survivor, yet writes nothing when its time is older than the survivor's there: nothing
    // arrived that an undo could lose, so the undo goes ahead and the email is its own again.
    const { work, home } = await twoRecords()
    const { mergeId } = await merge(work, home)
    const after = await snapshot(t.db)
    const [ping] = await ingestForProject(t.db, projectA, [
      { type: 'ping', email: 'ann@home.example', timestamp: new Date('2026-02-01T00:00:00Z') },
    ])
    expect(ping).toEqual({ type: 'ping', found: true, customerId: work })
    expect(await snapshot(t.db)).toEqual(after)
    await expect(undoMerge(t.db, { accountId, mergeId, actor })).resolves.toEqual({
      customerIds: [work, home],
    })
  })

  it('refuses a second undo, an undo out of order, and a merge of another account', async () => {
    const { work, home } = await twoRecords()
    const old = await identify(projectA, { email: 'ann@old.example' })
    const first = await merge(work, home)
    const second = await merge(work, old)
    await expect(
      undoMerge(t.db, { accountId, mergeId: first.mergeId, actor }),
    ).rejects.toMatchObject({
      code: 'conflict',
      message: expect.stringMatching(/later merge/),
    })
    const other = await seedAccount(t.db)
    await expect(
      undoMerge(t.db, { accountId: other.accountId, mergeId: second.mergeId, actor }),
    ).rejects.toMatchObject({ code: 'not_found' })
    await undoMerge(t.db, { accountId, mergeId: second.mergeId, actor })
    await expect(
      undoMerge(t.db, { accountId, mergeId: second.mergeId, actor }),
    ).rejects.toMatchObject({
      code: 'conflict',
      message: expect.stringMatching(/already been undone/),
    })
    await undoMerge(t.db, { accountId, mergeId: first.mergeId, actor })
  })
})

describe('delete (GDPR erasure)', () => {
  it('removes the customer, its project rows, aliases and the merge snapshots holding its data', async () => {
    const { work, home } = await twoRecords()
    const keep = await identify(projectA, { email: 'someone@else.example', name: 'Else' })
    await merge(work, home)

    const result = await deleteCustomer(t.db, { accountId, customerId: work, actor })
    expect(result).toEqual({ projects: 3, merges: 1, aliases: 1 })

    const dump = JSON.stringify(
      await Promise.all(
        ['customers', 'customer_projects', 'merges', 'audit_events'].map(
          async (table) =>
            (
              await sql`SELECT * FROM ${sql.table(table)} WHERE account_id = ${accountId}`.execute(
                t.db,
              )
            ).rows,
        ),
      ),
    )
    for (const personal of ['ann@work.example', 'ann@home.example', '"Ann', '"plan"', '"pro"']) {
      expect(dump).not.toContain(personal)
    }
    expect(dump).toContain('someone@else.example')
    const audit = await t.db
      .selectFrom('audit_events')
      .selectAll()
      .where('account_id', '=', accountId)
      .where('action', '=', 'customer.deleted')
      .execute()
    expect(audit).toMatchObject([
      { customer_id: work, detail: { projects: 3, merges: 1, aliases: 1 } },
    ])
    expect(await relations(keep)).toHaveLength(1)
  })

  it('purges the person from unfinished imports: uploaded rows and dry-run notes', async () => {
    const { work, home } = await twoRecords()
    await merge(work, home)
    // Not yet imported: the rows wait in import_chunks, the dry run noted the emails it saw.
    const csv =
      'email,name,phone\nann@work.example,Ann,+1 555 0100\n  ANN@HOME.example ,Ann H,+1 555 0101\n' +
      "'-ann@x.example,Guarded,0\nbob@else.example,Bob,+1 555 0102\n"
    const { importId } = await createImport(t.db, {
      accountId,
      projectId: projectA,
      filename: 'people.csv',
      body: new Blob([csv]).stream(),
    })
    const slug = (
      await t.db
        .selectFrom('projects')
        .select('slug')
        .where('id', '=', projectA)
        .executeTakeFirstOrThrow()
    ).slug
    await startDryRun(
      t.db,
      accountId,
      importId,
      suggestMapping(['email', 'name', 'phone'], [], slug),
    )
    await runStep(t.db, await loadJob(t.db, accountId, importId))
    const noted = () =>
      t.db.selectFrom('import_emails').select('email').where('import_id', '=', importId).execute()
    expect((await noted()).map((r) => r.email).sort()).toEqual([
      '-ann@x.example',
      'ann@home.example',
      'ann@work.example',
      'bob@else.example',
    ])

    await deleteCustomer(t.db, { accountId, customerId: work, actor })

    const chunk = await t.db
      .selectFrom('import_chunks')
      .select('rows')
      .where('import_id', '=', importId)
      .executeTakeFirstOrThrow()
    expect(chunk.rows).toEqual([
      ['4', "'-ann@x.example", 'Guarded', '0'],
      ['5', 'bob@else.example', 'Bob', '+1 555 0102'],
    ])
    expect((await noted()).map((r) => r.email).sort()).toEqual([
      '-ann@x.example',
      'bob@else.example',
    ])
  })

  it('is one transaction of two statements, and refuses a customer of another account', async () => {
    const { work } = await twoRecords()
    const other = await seedAccount(t.db)
    const before = await snapshot(t.db)
    await expect(
      deleteCustomer(t.db, { accountId: other.accountId, customerId: work, actor }),
    ).rejects.toMatchObject({ code: 'not_found' })
    expect(await snapshot(t.db)).toEqual(before)
    t.statements.length = 0
    await deleteCustomer(t.db, { accountId, customerId: work, actor })
    expect(t.statements).toHaveLength(2)
  })
})
