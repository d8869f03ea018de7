// The end of an import: the step that imports the last chunk marks the import done and deletes
// the uploaded rows together, or neither. Were they two statements, a process that died between
// them (SIGKILL, a Worker cut off between two HTTP queries, a lost connection) left an import
// "done" whose rows stay for good: the abandoned-import sweep removes only unfinished imports, and
// deleting a customer purges only the rows of unfinished ones (measured on PostgreSQL, the server
// killed while the rows' delete waited). Here the delete fails (a trigger raises), as such a crash
// would stop it; the step must leave the import resumable, and a later poll finish it.
import { afterAll, beforeAll, expect, it } from 'vitest'
import { sql } from 'kysely'
import { openTestDb, type TestDb } from '../../test/support/db.js'
import { seedAccount } from '../../test/support/fixtures.js'
import { loadJob, runStep, startDryRun, startImport } from './job.js'
import type { Mapping } from './mapping.js'
import { createImport } from './upload.js'

let t: TestDb
beforeAll(async () => {
  t = await openTestDb()
})
afterAll(() => t.close())

it('marks an import done only together with deleting its uploaded rows', async () => {
  const { accountId, projects } = await seedAccount(t.db)
  const { importId } = await createImport(t.db, {
    accountId,
    projectId: projects[0]!.project.id,
    filename: 'f.csv',
    body: new Blob(['email,name\nalice@example.com,Alice\nbob@example.com,Bob\n']).stream(),
  })
  const mapping: Mapping = [{ target: 'email' }, { target: 'name' }]
  await startDryRun(t.db, accountId, importId, mapping)
  const dry = await loadJob(t.db, accountId, importId)
  while (await runStep(t.db, dry)) {
    // the dry run, to its end
  }
  await startImport(t.db, accountId, importId)

  await sql`CREATE FUNCTION test_no_chunk_delete() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN RAISE EXCEPTION 'the process died here'; END $$`.execute(t.db)
  await sql`CREATE TRIGGER test_no_chunk_delete BEFORE DELETE ON import_chunks
    FOR EACH ROW EXECUTE FUNCTION test_no_chunk_delete()`.execute(t.db)
  try {
    await expect(runStep(t.db, await loadJob(t.db, accountId, importId))).rejects.toThrow(
      'the process died here',
    )
  } finally {
    await sql`DROP TRIGGER test_no_chunk_delete ON import_chunks`.execute(t.db)
    await sql`DROP FUNCTION test_no_chunk_delete()`.execute(t.db)
  }
  const stopped = await loadJob(t.db, accountId, importId)
  const chunks = () =>
    t.db.selectFrom('import_chunks').select('seq').where('import_id', '=', importId).execute()
  // Not done: the rows are still there, and the next poll takes the step again.
  expect(stopped.state).toBe('importing')
  expect(stopped.finished_at).toBeNull()
  expect(await chunks()).toHaveLength(1)

  expect(await runStep(t.db, stopped)).toBe(false)
  const done = await loadJob(t.db, accountId, importId)
  expect(done.state).toBe('done')
  // Both rows counted once (as updates: the first attempt's write had committed).
  expect(done.counts.created + done.counts.updated + done.counts.unchanged).toBe(2)
  expect(await chunks()).toEqual([])
  const emails = await t.db
    .selectFrom('import_emails')
    .select('email')
    .where('import_id', '=', importId)
    .execute()
  expect(emails).toEqual([])
})
