// Abandoned imports expire: an import not finished 7 days after its upload goes, with the rows of
// the file it still holds; a finished one (which keeps only its rejected rows) and a recent one stay.
import { expect, it } from 'vitest'
import { sql } from 'kysely'
import { useTestDb } from '../../test/support/db.js'
import { seedAccount } from '../../test/support/fixtures.js'
import { importToEnd, loadJob, runStep, startDryRun } from './job.js'
import { suggestMapping } from './mapping.js'
import { expireAbandonedImports } from './retention.js'
import { createImport } from './upload.js'

const t = useTestDb()

const DAY = 86_400_000

it('deletes imports left unfinished for more than 7 days, with their rows, and nothing else', async () => {
  const { accountId, projects } = await seedAccount(t.db)
  const project = projects[0]!.project
  const mapping = suggestMapping(['email', 'name'], [], project.slug)
  const upload = async (csv: string) =>
    (
      await createImport(t.db, {
        accountId,
        projectId: project.id,
        filename: 'people.csv',
        body: new Blob([csv]).stream(),
      })
    ).importId
  // Abandoned after its dry run's first step: rows, dry-run notes and a rejected row are stored.
  const abandoned = await upload('email,name\nann@old.example,Ann\nnot-an-email,Bad\n')
  await startDryRun(t.db, accountId, abandoned, mapping)
  await runStep(t.db, await loadJob(t.db, accountId, abandoned))
  const recent = await upload('email,name\nbob@new.example,Bob\n')
  const finished = await upload('email,name\ncid@done.example,Cid\nbad,Bad\n')
  await importToEnd(t.db, accountId, finished, mapping)
  const age = async (id: number, days: number) =>
    t.db
      .updateTable('imports')
      .set({ created_at: new Date(Date.now() - days * DAY) })
      .where('id', '=', id)
      .execute()
  await age(abandoned, 8)
  await age(recent, 6)
  await age(finished, 30)
  const stored = async (table: 'import_chunks' | 'import_emails' | 'import_rejects') =>
    (
      await sql<{ import_id: number }>`SELECT DISTINCT import_id FROM ${sql.table(table)}
        WHERE import_id IN (${sql.join([abandoned, recent, finished])}) ORDER BY import_id`.execute(
        t.db,
      )
    ).rows.map((r) => r.import_id)
  expect(await stored('import_chunks')).toEqual([abandoned, recent])
  expect(await stored('import_emails')).toEqual([abandoned])
  expect(await stored('import_rejects')).toEqual([abandoned, finished])

  expect(await expireAbandonedImports(t.db)).toBe(1)

  const left = await t.db
    .selectFrom('imports')
    .select('id')
    .where('account_id', '=', accountId)
    .orderBy('id')
    .execute()
  expect(left.map((r) => r.id)).toEqual([recent, finished])
  expect(await stored('import_chunks')).toEqual([recent])
  expect(await stored('import_emails')).toEqual([])
  expect(await stored('import_rejects')).toEqual([finished])
  expect(await expireAbandonedImports(t.db)).toBe(0)
})
