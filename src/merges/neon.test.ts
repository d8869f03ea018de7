// Merge, undo, delete and a CSV import through the production driver (Neon's HTTP protocol, served
// locally over PGlite), where interactive transactions do not exist: merge, undo and delete each go
// as one transaction batch — one HTTP round trip — and undo still restores the database exactly.
import { afterAll, beforeAll, expect, it } from 'vitest'
import type { Kysely } from 'kysely'
import { openNeonDb } from '../db/neon.js'
import type { Database } from '../db/schema.js'
import { startNeonHttpEndpoint, type NeonHttpEndpoint } from '../../scripts/neon-http-endpoint.js'
import { ingestForProject } from '../ingest/upsert.js'
import { useTestDb } from '../../test/support/db.js'
import { seedAccount } from '../../test/support/fixtures.js'
import { importToEnd } from '../csv/job.js'
import { suggestMapping } from '../csv/mapping.js'
import { createImport } from '../csv/upload.js'
import { deleteCustomer } from './erase.js'
import { mergeCustomers, undoMerge } from './store.js'
import { snapshot } from '../../test/support/merge-snapshot.js'
import { INJECTED, failingMerges } from '../../test/support/failing-merges.js'

const t = useTestDb()
let endpoint: NeonHttpEndpoint
let neonDb: Kysely<Database>

beforeAll(async () => {
  endpoint = await startNeonHttpEndpoint({ pglite: t.pglite })
  neonDb = openNeonDb('postgres://tinycrm:dev@localhost/tinycrm', { fetchEndpoint: endpoint.url })
})
afterAll(async () => {
  await endpoint?.close()
})

const actor = 'token:1'

it('merges, undoes to the exact snapshot, and deletes over Neon HTTP', async () => {
  const { accountId, projects } = await seedAccount(t.db)
  const [a, b] = projects.map((p) => p.project.id) as [number, number]
  const [work] = await ingestForProject(neonDb, a, [
    { type: 'identify', email: 'n@work.example', params: { p: 1 } },
  ])
  await ingestForProject(neonDb, b, [{ type: 'identify', email: 'n@work.example', status: 'paid' }])
  const [home] = await ingestForProject(neonDb, b, [
    { type: 'identify', email: 'n@home.example', params: { q: 2 } },
  ])
  const survivorId = (work as { customerId: number }).customerId
  const absorbedId = (home as { customerId: number }).customerId
  const before = await snapshot(t.db)

  const roundTrips = async (fn: () => Promise<unknown>) => {
    const requests = endpoint.stats.requests
    await fn()
    return endpoint.stats.requests - requests
  }
  let mergeId = 0
  expect(
    await roundTrips(async () => {
      ;({ mergeId } = await mergeCustomers(neonDb, { accountId, survivorId, absorbedId, actor }))
    }),
  ).toBe(1)
  expect(typeof mergeId).toBe('number')
  let undone = { customerIds: [] as number[] }
  expect(
    await roundTrips(async () => {
      undone = await undoMerge(neonDb, { accountId, mergeId, actor })
    }),
  ).toBe(1)
  expect(undone.customerIds).toEqual([survivorId, absorbedId])
  expect(await snapshot(t.db)).toEqual(before)

  const restore = await failingMerges(t.db)
  await expect(
    mergeCustomers(neonDb, { accountId, survivorId, absorbedId, actor }),
  ).rejects.toThrow(INJECTED)
  await restore()
  expect(await snapshot(t.db)).toEqual(before)

  expect(await deleteCustomer(neonDb, { accountId, customerId: absorbedId, actor })).toEqual({
    projects: 1,
    merges: 1,
    aliases: 0,
  })
})

it('imports a CSV over Neon HTTP', async () => {
  const { accountId, projects } = await seedAccount(t.db)
  const project = projects[0]!.project
  const csv = 'email;name;plan\nx@n.example;X;pro\ny@n.example;Y;basic\nbad;Z;pro\n'
  const { importId } = await createImport(neonDb, {
    accountId,
    projectId: project.id,
    filename: 'n.csv',
    body: new Blob([csv]).stream(),
  })
  const r = await importToEnd(
    neonDb,
    accountId,
    importId,
    suggestMapping(['email', 'name', 'plan'], [], project.slug),
  )
  expect(r.dryRun).toEqual({ created: 2, updated: 0, unchanged: 0, merged: 0, rejected: 1 })
  expect(r.counts).toEqual(r.dryRun)
})
