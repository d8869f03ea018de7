// The migration that gave uploads a sign of life (migrations/2026-11-30T07-import-upload-progress.ts),
// on a database holding imports made the old way: an upload that died mid-file (no rows counted,
// shown as waiting for its mapping, or a dry run of it stuck at "0 of 0") becomes an interrupted
// upload, which the sweep then removes with its rows; a finished upload and a finished import stay
// as they were.
import { expect, it } from 'vitest'
import { sql } from 'kysely'
import { useDbMigratedTo } from '../../test/support/migrated-to.js'
import { expireAbandonedImports } from './retention.js'

const m = useDbMigratedTo('2026-11-30T06-name-order')

it('turns the uploads that never finished into interrupted ones, and nothing else', async () => {
  const accountId = (
    await sql<{ id: number }>`INSERT INTO accounts (name) VALUES ('Acme') RETURNING id`.execute(
      m.db,
    )
  ).rows[0]!.id
  const projectId = (
    await sql<{ id: number }>`INSERT INTO projects (account_id, name, slug)
      VALUES (${accountId}, 'App A', 'app-a') RETURNING id`.execute(m.db)
  ).rows[0]!.id
  /** An import as the old code left it, made an hour ago. */
  const made = async (state: string, rows: number, finished: boolean) => {
    const id = (
      await sql<{ id: number }>`INSERT INTO imports (account_id, project_id, filename, header,
        total_rows, chunks, state, created_at, finished_at)
      VALUES (${accountId}, ${projectId}, 'f.csv', '["email"]', ${rows}, ${rows ? 1 : 0},
        ${state}, now() - interval '1 hour', ${finished ? sql`now()` : null})
      RETURNING id`.execute(m.db)
    ).rows[0]!.id
    await sql`INSERT INTO import_chunks (import_id, seq, first_line, rows)
      VALUES (${id}, 0, 2, '[["2", "ann@x.example"]]')`.execute(m.db)
    return id
  }
  const died = await made('uploaded', 0, false)
  const diedThenRun = await made('dry_run', 0, false)
  const uploaded = await made('uploaded', 1, false)
  const imported = await made('done', 1, true)

  await m.toLatest()

  const states = await m.db.selectFrom('imports').select(['id', 'state']).orderBy('id').execute()
  expect(states).toEqual([
    { id: died, state: 'uploading' },
    { id: diedThenRun, state: 'uploading' },
    { id: uploaded, state: 'uploaded' },
    { id: imported, state: 'done' },
  ])
  expect(await expireAbandonedImports(m.db)).toBe(2)
  const chunks = await m.db
    .selectFrom('import_chunks')
    .select('import_id')
    .orderBy('import_id')
    .execute()
  expect(chunks.map((c) => c.import_id)).toEqual([uploaded, imported])
})
