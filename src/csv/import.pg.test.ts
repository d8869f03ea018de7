// A bulk import and its export against a real PostgreSQL server (the `postgres` vitest project
// starts one): the same steps the dashboard polls run, with rows/s and memory printed. 10,000 rows
// (10 chunks) by default, so the suite stays inside CI's time; CSV_PG_ROWS=100000 for issue 5's
// size. (The PGlite one is ./import.test.ts, CSV_ROWS for its size.)
import { afterAll, beforeAll, expect, it } from 'vitest'
import type { NodeDb } from '../db/node.js'
import { openTestDb } from '../../test/support/pg-harness.js'
import { seedAccount } from '../../test/support/fixtures.js'
import { parseCustomerFilter } from '../customers/filter.js'
import { exportCustomersCsv } from './export.js'
import { loadJob, runStep, startDryRun, startImport } from './job.js'
import { suggestMapping } from './mapping.js'
import { createImport } from './upload.js'

let node: NodeDb
beforeAll(async () => {
  node = await openTestDb({ poolSize: 4 })
})
afterAll(() => node.close())

function bulkCsv(n: number) {
  let i = 0
  const enc = new TextEncoder()
  return new ReadableStream<Uint8Array>({
    pull(c) {
      if (i === 0) c.enqueue(enc.encode('email,name,status,plan,mrr\n'))
      let out = ''
      for (let k = 0; k < 2000 && i < n; k++, i++) {
        out += `user${i}@pg.example,"User ${i}",${i % 3 ? 'free' : 'paid'},${i % 2 ? 'pro' : 'basic'},${i % 100}\n`
      }
      c.enqueue(enc.encode(out))
      if (i >= n) c.close()
    },
  })
}

const N = Number(process.env.CSV_PG_ROWS ?? 10_000)

it(`imports ${N.toLocaleString('en')} rows and exports them again`, async () => {
  const db = node.db
  const { accountId, projects } = await seedAccount(db)
  const project = projects[0]!.project
  let peak = process.memoryUsage().rss
  const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 50)
  const t0 = performance.now()
  const { importId } = await createImport(db, {
    accountId,
    projectId: project.id,
    filename: 'bulk.csv',
    body: bulkCsv(N),
  })
  const t1 = performance.now()
  const header = (await loadJob(db, accountId, importId)).header
  await startDryRun(
    db,
    accountId,
    importId,
    suggestMapping(header, [['a@b', 'A', 'free', 'pro', '1']], project.slug),
  )
  const dry = await loadJob(db, accountId, importId)
  while (await runStep(db, dry)) {
    // one chunk per step
  }
  const t2 = performance.now()
  await startImport(db, accountId, importId)
  const job = await loadJob(db, accountId, importId)
  while (await runStep(db, job)) {
    // one chunk per step
  }
  const t3 = performance.now()
  const csv = await new Response(
    await exportCustomersCsv(db, accountId, parseCustomerFilter({ in: project.slug })),
  ).text()
  const t4 = performance.now()
  clearInterval(timer)
  expect(dry.counts).toEqual({ created: N, updated: 0, unchanged: 0, merged: 0, rejected: 0 })
  expect(job.counts).toEqual(dry.counts)
  expect(csv.trim().split('\r\n')).toHaveLength(N + 1)
  const rate = (ms: number) => Math.round(N / (ms / 1000))
  console.log(
    `[csv bench, PostgreSQL] upload+parse ${rate(t1 - t0)} rows/s; dry run ${rate(t2 - t1)} rows/s; ` +
      `import ${rate(t3 - t2)} rows/s; export ${rate(t4 - t3)} rows/s; peak RSS ${Math.round(peak / 1e6)} MB`,
  )
}, 600_000)
