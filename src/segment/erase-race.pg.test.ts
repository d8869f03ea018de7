// A Segment call that finds its customer by an id (alias, identify with only a userId) racing the
// erasure of that customer (GDPR), on a real PostgreSQL server (PGlite runs one statement at a time
// and hides it). The erasure deletes the ids Segment linked to the person's emails, so that a later
// call with only such an id cannot bring the person back. A call that read the id before the
// erasure committed and wrote after it linked the id again (and an identify made the person
// anew): measured with aliases racing deletes over HTTP, 36 of 40 rounds left links to the erased
// email. Here the erasure is held mid-statement (a row lock the test holds on a billing row it
// deletes), the call is sent meanwhile, then the erasure is let go: whichever order, no id may
// name the erased email afterwards, and no customer of it may exist.
import { expect, it } from 'vitest'
import { sql } from 'kysely'
import { hashKey } from '../lib/keys.js'
import { deleteCustomer } from '../merges/erase.js'
import { seedAccount } from '../../test/support/fixtures.js'
import { useLockHolder, useServedApp } from '../../test/support/pg-harness.js'
import { parseEvent, type SegmentRow } from './spec.js'
import { applySegmentEvents } from './store.js'

const APP_NAME = 'tinycrm-segment-erase-race'
const served = useServedApp({ appName: APP_NAME, poolSize: 6 })

// The row lock is held in a transaction of the test's own while the calls wait on it.
const lock = useLockHolder(APP_NAME)

function rows(events: unknown[]): SegmentRow[] {
  return events.map((raw, n) => {
    const parsed = parseEvent(raw, { n, receivedAt: new Date() })
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.details))
    return parsed.row
  })
}

async function until(done: () => Promise<boolean>) {
  const deadline = Date.now() + 10_000
  while (!(await done())) {
    if (Date.now() > deadline) throw new Error('timed out')
    await new Promise((r) => setTimeout(r, 10))
  }
}

for (const [label, event] of [
  ['an alias', { type: 'alias', userId: 'u1', previousId: 'anon-1', messageId: 'late-1' }],
  [
    'an identify with only a userId',
    { type: 'identify', userId: 'u1', anonymousId: 'anon-2', traits: { plan: 'pro' } },
  ],
] as const) {
  it(`${label} racing the erasure leaves no id naming the erased email, and no customer`, async () => {
    const { accountId, projects } = await seedAccount(served.db, ['Source'])
    const projectId = projects[0]!.project.id
    const keyHash = await hashKey(projects[0]!.key)
    const email = `erased-${Date.now()}@example.com`
    await applySegmentEvents(
      served.db,
      keyHash,
      rows([{ type: 'identify', userId: 'u1', traits: { email }, messageId: 'first' }]),
    )
    const { id } = await served.db
      .selectFrom('customers')
      .select('id')
      .where('email', '=', email)
      .executeTakeFirstOrThrow()
    // A billing row of the person, which the erasure deletes: the test holds it, so the erasure
    // stops inside its statement, after its customer lock and its snapshot.
    await sql`INSERT INTO billing_customers (project_id, provider, billing_customer_id, email)
      VALUES (${projectId}, 'stripe', 'cus_held', ${email})`.execute(served.db)
    const holder = lock.holder()
    await holder.query('BEGIN')
    await holder.query(
      `SELECT 1 FROM billing_customers WHERE project_id = $1 AND email = $2 FOR UPDATE`,
      [projectId, email],
    )
    let erased = false
    const erasing = deleteCustomer(served.db, { accountId, customerId: Number(id), actor: 't' })
    erasing.finally(() => (erased = true)).catch(() => {})
    await until(async () => (await lock.waiting()) >= 1)
    let applied = false
    const applying = applySegmentEvents(served.db, keyHash, rows([event]))
    applying.finally(() => (applied = true)).catch(() => {})
    // The call either ends before the erasure (it wrote nothing the erasure must see) or waits
    // for it.
    await until(async () => applied || (await lock.waiting()) >= 2)
    expect(erased).toBe(false)
    await holder.query('ROLLBACK')
    await erasing
    await applying

    const links = await served.db
      .selectFrom('segment_ids')
      .select(['external_id', 'email'])
      .where('project_id', '=', projectId)
      .execute()
    expect(links).toEqual([])
    const customers = await served.db
      .selectFrom('customers')
      .select('id')
      .where('email', '=', email)
      .execute()
    expect(customers).toEqual([])

    // And a later call with only the id finds nobody.
    await applySegmentEvents(
      served.db,
      keyHash,
      rows([{ type: 'identify', userId: 'u1', traits: { plan: 'team' }, messageId: 'later' }]),
    )
    const after = await served.db
      .selectFrom('customers')
      .select('id')
      .where('email', '=', email)
      .execute()
    expect(after).toEqual([])
  })
}
