// Writes that belong to a project, racing the project's deletion, on a real PostgreSQL server
// (PGlite runs one statement at a time and hides it): a new key (the dashboard's "Add a key" and
// "Rotate key") and a billing connection (the account API's POST /v1/projects/{id}/billing). Each
// read the project from its statement's snapshot, then inserted a row for it: when the deletion
// committed in between, the foreign key failed and the request answered a 500 (measured over HTTP,
// project deletes racing these requests). Here the deletion is held uncommitted while the write is
// sent, then committed: the write must find no project (the route's 404), and leave nothing.
import { expect, it } from 'vitest'
import { createConnection } from '../billing/connections.js'
import { seedAccount } from '../../test/support/fixtures.js'
import { useLockHolder, useServedApp } from '../../test/support/pg-harness.js'
import { addProjectKey } from './keys.js'

const APP_NAME = 'tinycrm-project-deleted-meanwhile'
const served = useServedApp({ appName: APP_NAME, poolSize: 4 })

// The deletion is held open in a transaction of the test's own while the write waits on it.
const lock = useLockHolder(APP_NAME)

async function racingTheDeletion<T>(write: (accountId: number, projectId: number) => Promise<T>) {
  const { accountId, projects } = await seedAccount(served.db, ['Doomed'])
  const projectId = projects[0]!.project.id
  const holder = lock.holder()
  await holder.query('BEGIN')
  await holder.query('DELETE FROM projects WHERE id = $1', [projectId])
  let settled = false
  const writing = write(accountId, projectId)
  writing.finally(() => (settled = true)).catch(() => {})
  const deadline = Date.now() + 10_000
  while ((await lock.waiting()) < 1 && !settled && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 5))
  }
  await holder.query('COMMIT')
  return { result: await writing, projectId }
}

it('adds no key to a project deleted meanwhile: not found, not a foreign-key failure', async () => {
  for (const revokeOthers of [false, true]) {
    const { result, projectId } = await racingTheDeletion((accountId, projectId) =>
      addProjectKey(served.db, accountId, projectId, { revokeOthers }),
    )
    expect(result).toBeUndefined()
    const keys = await served.db
      .selectFrom('api_keys')
      .select('id')
      .where('project_id', '=', projectId)
      .execute()
    expect(keys).toEqual([])
  }
})

it('connects no billing to a project deleted meanwhile: not found, not a foreign-key failure', async () => {
  const { result, projectId } = await racingTheDeletion((accountId, projectId) =>
    createConnection(served.db, {
      accountId,
      projectId,
      provider: 'stripe',
      signingSecret: 'whsec_racingthedeletion',
    }),
  )
  expect(result).toBeUndefined()
  const connections = await served.db
    .selectFrom('billing_connections')
    .select('id')
    .where('project_id', '=', projectId)
    .execute()
  expect(connections).toEqual([])
})
