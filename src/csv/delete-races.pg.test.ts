// Deleting customers while a CSV import of their emails runs, against a real PostgreSQL (PGlite
// runs one statement at a time and hides every race). A delete (the account API's DELETE
// /v1/customers/:id, real HTTP requests to the served app) purges the person from the rows of
// unfinished imports; an import step that had already read its chunk must not write them back.
// Each trial: N customers in project B, an import of the same emails (with a param) into project A,
// dry run done and import started; then the import's step and 4 delete chains (each deleting a few
// customers one after another) are parked on a gate — a table lock held by the test — and let go
// together. Then: every delete answered 200, no deleted customer (nor its email) is there, and
// every customer not deleted got the import's row in project A.
import { describe, expect, it } from 'vitest'
import { sql } from 'kysely'
import { useServedApp } from '../../test/support/pg-harness.js'
import { seedAccount } from '../../test/support/fixtures.js'
import { createAccountToken } from '../account-api/tokens.js'
import { ingestForProject } from '../ingest/upsert.js'
import { loadJob, runStep, startDryRun, startImport } from './job.js'
import { suggestMapping } from './mapping.js'
import { createImport } from './upload.js'

const TRIALS = Number(process.env.RACE_TRIALS ?? 20)
const CUSTOMERS = 24
const CHAINS = 4
const DELETES_PER_CHAIN = 3
// Names this file's connections, so the gate counts only our statements.
const APP_NAME = 'tinycrm-csv-delete-races'

const served = useServedApp({ appName: APP_NAME, poolSize: 12, gateTable: 'customers' })

describe('deleting customers while an import of their emails runs (real PostgreSQL)', () => {
  it(`never brings a deleted customer back and loses no imported row (${TRIALS} trials)`, async () => {
    const seeded = await seedAccount(served.db, ['App A', 'App B'])
    const acct = seeded.accountId
    const [a, b] = seeded.projects.map((p) => p.project)
    const { token } = await createAccountToken(served.db, seeded.accountId, 'csv-races')
    const failed: string[] = []
    for (let t = 0; t < TRIALS; t++) {
      const emails = Array.from({ length: CUSTOMERS }, (_, i) => `p${i}.csv${t}@race.test`)
      const inB = await ingestForProject(
        served.db,
        b!.id,
        emails.map((email) => ({ type: 'identify' as const, email, params: { seed: 1 } })),
      )
      const ids = inB.map((r) => r.customerId!)
      const csv = `email,plan\n${emails.map((e) => `${e},imported${t}`).join('\n')}\n`
      const { importId } = await createImport(served.db, {
        accountId: acct,
        projectId: a!.id,
        filename: 'people.csv',
        body: new Blob([csv]).stream(),
      })
      await startDryRun(served.db, acct, importId, suggestMapping(['email', 'plan'], [], a!.slug))
      const dry = await loadJob(served.db, acct, importId)
      while (await runStep(served.db, dry)) {
        // one chunk per step
      }
      await startImport(served.db, acct, importId)
      const job = await loadJob(served.db, acct, importId)

      // Every other customer is deleted, spread over the chains.
      const doomed = ids.filter((_, i) => i % 2 === 0).slice(0, CHAINS * DELETES_PER_CHAIN)
      const answered = new Map<number, number>()
      const chain = async (c: number) => {
        for (let k = 0; k < DELETES_PER_CHAIN; k++) {
          const id = doomed[c + k * CHAINS]!
          answered.set(id, (await served.call('DELETE', `/v1/customers/${id}`, token)).status)
        }
      }
      await served.gate.gated(1 + CHAINS, () =>
        Promise.all([
          runStep(served.db, job),
          ...Array.from({ length: CHAINS }, (_, c) => chain(c)),
        ]),
      )
      while (await runStep(served.db, job)) {
        // the rest, if a chunk is left
      }
      const problems: string[] = []
      const state = (await loadJob(served.db, acct, importId)).state
      if (state !== 'done') problems.push(`the import is ${state}`)
      const { rows } = await sql<{ email: string; id: number; plan: unknown }>`
        SELECT c.email, c.id, r.params->'plan' AS plan FROM customers c
        LEFT JOIN customer_projects r ON r.customer_id = c.id AND r.project_id = ${a!.id}
        WHERE c.account_id = ${acct} AND c.email LIKE ${`%.csv${t}@race.test`}`.execute(served.db)
      const now = new Map(rows.map((r) => [r.email, r]))
      ids.forEach((id, i) => {
        const email = emails[i]!
        const status = answered.get(id)
        if (status !== undefined && status !== 200) problems.push(`delete ${id} answered ${status}`)
        if (status === 200) {
          if (now.has(email)) problems.push(`${email} was deleted and came back`)
        } else if (now.get(email)?.plan !== `imported${t}`) {
          problems.push(`${email}: the imported row is not in project A`)
        }
      })
      if (problems.length) failed.push(`trial ${t}: ${problems.slice(0, 3).join('; ')}`)
    }
    console.log(`csv import vs delete: ${failed.length} of ${TRIALS} trials failed`)
    expect(failed.slice(0, 8), `${failed.length} of ${TRIALS} trials failed`).toEqual([])
  }, 600_000)
})
