// Two imports of the same new emails into one project, running at once on a real PostgreSQL: each
// email is created once, so the two reports together count each created once (each import
// counted all of them created while the counts came from the classification read before writing).
// The first steps of both are parked on a gate — a table lock held by the test — and let go
// together, so that both read the emails as new before either writes.
import { describe, expect, it } from 'vitest'
import { sql } from 'kysely'
import { useServedApp } from '../../test/support/pg-harness.js'
import { seedAccount } from '../../test/support/fixtures.js'
import { loadJob, runStep, startDryRun, startImport, type Job } from './job.js'
import { suggestMapping } from './mapping.js'
import { createImport } from './upload.js'

const N = 2500
const APP_NAME = 'tinycrm-csv-concurrent-imports'

const served = useServedApp({ appName: APP_NAME, poolSize: 6, gateTable: 'customers' })

describe('two imports of the same new emails at once (real PostgreSQL)', () => {
  it(`count each of ${N.toLocaleString('en')} customers created once between them`, async () => {
    const db = served.db
    const { accountId, projects } = await seedAccount(db, ['App A'])
    const project = projects[0]!.project
    const csv = `email,plan\n${Array.from({ length: N }, (_, i) => `c${i}@twice.test,pro`).join('\n')}\n`

    const started: Job[] = []
    for (let n = 0; n < 2; n++) {
      const { importId } = await createImport(db, {
        accountId,
        projectId: project.id,
        filename: `copy${n}.csv`,
        body: new Blob([csv]).stream(),
      })
      await startDryRun(
        db,
        accountId,
        importId,
        suggestMapping(['email', 'plan'], [], project.slug),
      )
      const dry = await loadJob(db, accountId, importId)
      while (await runStep(db, dry)) {
        // one chunk per step
      }
      await startImport(db, accountId, importId)
      started.push(await loadJob(db, accountId, importId))
    }
    await served.gate.gated(2, () => Promise.all(started.map((job) => runStep(db, job))))
    await Promise.all(
      started.map(async (job) => {
        while (await runStep(db, job)) {
          // the rest of the chunks, both imports at once
        }
      }),
    )

    const [a, b] = started.map((job) => job.counts)
    expect(a!.created + b!.created).toBe(N)
    // A chunk read after the other import wrote the same rows finds them unchanged.
    for (const counts of [a!, b!]) {
      expect(counts.created + counts.updated + counts.unchanged).toBe(N)
      expect(counts).toMatchObject({ merged: 0, rejected: 0 })
    }
    const { rows } = await sql<{ n: number }>`SELECT count(*)::int AS n FROM customer_projects
      WHERE project_id = ${project.id} AND params->>'plan' = 'pro'`.execute(db)
    expect(rows[0]!.n).toBe(N)
  })
})
