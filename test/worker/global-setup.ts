// vitest globalSetup of the `workers` project (runs in Node): a migrated in-memory PGlite with one
// seeded account, served over the local Neon HTTP endpoint. The Worker under test reaches it through
// its real driver (NEON_FETCH_ENDPOINT, see vitest.config.ts); the tests get the keys by inject().
import type { TestProject } from 'vitest/node'
import { openNodeDb } from '../../src/db/node.js'
import { startNeonHttpEndpoint } from '../../scripts/neon-http-endpoint.js'
import { seedAccount } from '../support/fixtures.js'

declare module 'vitest' {
  export interface ProvidedContext {
    neonEndpoint: string
    worker: { accountId: number; keyA: string; keyB: string; revokedKey: string; busyKey: string }
  }
}

export default async function setup(project: TestProject) {
  const node = await openNodeDb({ dataDir: 'memory://' })
  const seeded = await seedAccount(node.db, ['App A', 'App B', 'Retired app', 'Busy app'])
  const revokedKey = seeded.projects[2]!.key
  await node.db
    .updateTable('api_keys')
    .set({ revoked_at: new Date() })
    .where('project_id', '=', seeded.projects[2]!.project.id)
    .execute()
  const endpoint = await startNeonHttpEndpoint({ pglite: node.pglite })

  project.provide('neonEndpoint', endpoint.url)
  project.provide('worker', {
    accountId: seeded.accountId,
    keyA: seeded.projects[0]!.key,
    keyB: seeded.projects[1]!.key,
    revokedKey,
    busyKey: seeded.projects[3]!.key,
  })
  return async () => {
    await endpoint.close()
    await node.close()
  }
}
