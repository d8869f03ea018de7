// The Worker's Cron Trigger (wrangler.toml `[triggers] crons`): its `scheduled` handler, in workerd,
// deletes the CSV imports left unfinished for more than 7 days — with the uploaded rows they hold —
// through the production driver, and leaves recent and finished ones.
import { env } from 'cloudflare:workers'
import { neon, neonConfig } from '@neondatabase/serverless'
import { expect, inject, it } from 'vitest'
import worker, { type WorkerEnv } from '../../src/worker.js'

const bindings = env as unknown as WorkerEnv
const { accountId } = inject('worker')

it('deletes abandoned imports and their rows on the daily cron', async () => {
  neonConfig.fetchEndpoint = () => bindings.NEON_FETCH_ENDPOINT!
  const sql = neon(bindings.DATABASE_URL!)
  const [project] = await sql`SELECT id FROM projects WHERE account_id = ${accountId} LIMIT 1`
  const made = await sql`
    INSERT INTO imports (account_id, project_id, filename, header, created_at, finished_at)
    VALUES (${accountId}, ${project!.id}, 'abandoned.csv', '["email"]', now() - interval '8 days', NULL),
      (${accountId}, ${project!.id}, 'recent.csv', '["email"]', now() - interval '2 days', NULL),
      (${accountId}, ${project!.id}, 'finished.csv', '["email"]', now() - interval '9 days', now())
    RETURNING id`
  const [abandoned, recent, finished] = made.map((r) => Number(r.id))
  await sql`INSERT INTO import_chunks (import_id, seq, first_line, rows)
    VALUES (${abandoned}, 0, 2, '[["2", "ann@abandoned.example"]]')`

  const controller = { scheduledTime: Date.now(), cron: '17 3 * * *', noRetry() {} }
  await worker.scheduled(controller as ScheduledController, bindings)

  const left = await sql`SELECT id FROM imports WHERE id IN (${abandoned}, ${recent}, ${finished})
    ORDER BY id`
  expect(left.map((r) => Number(r.id))).toEqual([recent, finished])
  expect(await sql`SELECT 1 FROM import_chunks WHERE import_id = ${abandoned}`).toEqual([])
})
