// Deleting a project through the production Worker driver (Neon's HTTP protocol, served locally
// over PGlite), where interactive transactions do not exist: the lock and the delete go as one
// transaction batch — one HTTP round trip — and take exactly what they take on Node.
import { afterAll, beforeAll, expect, it } from 'vitest'
import type { Kysely } from 'kysely'
import { openNeonDb } from '../db/neon.js'
import type { Database } from '../db/schema.js'
import { startNeonHttpEndpoint, type NeonHttpEndpoint } from '../../scripts/neon-http-endpoint.js'
import { ingestForProject } from '../ingest/upsert.js'
import { openTestDb, type TestDb } from '../../test/support/db.js'
import { seedAccount } from '../../test/support/fixtures.js'
import { deleteProject } from './delete.js'

let t: TestDb
let endpoint: NeonHttpEndpoint
let neonDb: Kysely<Database>

beforeAll(async () => {
  t = await openTestDb()
  endpoint = await startNeonHttpEndpoint({ pglite: t.pglite })
  neonDb = openNeonDb('postgres://tinycrm:dev@localhost/tinycrm', { fetchEndpoint: endpoint.url })
})
afterAll(async () => {
  await endpoint?.close()
  await t?.close()
})

it('deletes a project and the customers only in it, in one round trip over Neon HTTP', async () => {
  const { accountId, projects } = await seedAccount(t.db)
  const [a, b] = projects.map((p) => p.project.id) as [number, number]
  await ingestForProject(t.db, a, [
    { type: 'identify', email: 'only-a@neon.example' },
    { type: 'identify', email: 'both@neon.example' },
  ])
  await ingestForProject(t.db, b, [{ type: 'identify', email: 'both@neon.example' }])

  const requests = endpoint.stats.requests
  expect(await deleteProject(neonDb, accountId, a)).toEqual({ removedCustomers: 1 })
  expect(endpoint.stats.requests - requests).toBe(1)
  const left = await t.db
    .selectFrom('customers')
    .select(['email', 'project_count'])
    .where('account_id', '=', accountId)
    .execute()
  expect(left).toEqual([{ email: 'both@neon.example', project_count: 1 }])
  // Another account's project, or one already gone: nothing to delete.
  expect(await deleteProject(neonDb, accountId, a)).toBeUndefined()
})
