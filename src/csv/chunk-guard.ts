// An import step's write, kept from undoing a delete. Deleting a customer (src/merges/erase.ts)
// purges the person's rows from the chunks of unfinished imports, so that the import does not bring
// them back; but a step reads its chunk, classifies it, then writes, and a delete that commits in
// between would be undone by that write (measured on Postgres: src/csv/delete-races.pg.test.ts).
// So the step's write — the one ingest statement and its rejected rows — commits in one transaction
// with a last statement that locks the chunk and aborts when it is no longer what the step read
// (./job.ts then reads it again). Locks are taken in the order a delete takes them: the customers
// (the ingest statement), then the chunk; a delete that locked a customer first is waited for by
// the ingest, and its purge is then seen by the check.
import { sql, type CompiledQuery, type Insertable, type Kysely } from 'kysely'
import type { Database } from '../db/schema.js'
import { runInTransaction } from '../db/transaction.js'
import type { IngestItem } from '../ingest/fold.js'
import { ingestForProject } from '../ingest/upsert.js'

/** The SQLSTATE of the check's abort (a class of the app's own, not one Postgres raises). */
const CHUNK_CHANGED = 'TC001'

export type Reject = Insertable<Database['import_rejects']>

export interface ReadChunk {
  seq: number
  rows: string[][]
  /** md5 of the rows as Postgres prints them: what the check compares. */
  hash: string | null
}

export async function readChunk(db: Kysely<Database>, importId: number, seq: number) {
  const { rows } = await sql<{ rows: string[][]; hash: string }>`
    SELECT rows, md5(rows::text) AS hash FROM import_chunks
    WHERE import_id = ${importId} AND seq = ${seq}`.execute(db)
  return { seq, rows: rows[0]?.rows ?? [], hash: rows[0]?.hash ?? null } satisfies ReadChunk
}

/** Whether a guarded write rolled back because the chunk changed (read it again). */
export function chunkChanged(err: unknown): boolean {
  return (err as { code?: unknown } | null)?.code === CHUNK_CHANGED
}

/** Writes a step's items (an import; a dry run writes none) and rejected rows, committed only if
 *  the chunk still holds what was read; otherwise throws (see `chunkChanged`). Returns what the
 *  ingest statement says of each item, when it ran. */
export async function writeGuarded(
  db: Kysely<Database>,
  job: { id: number; project_id: number; state: string },
  chunk: ReadChunk,
  items: IngestItem[],
  rejects: Reject[],
) {
  const guard: CompiledQuery[] = []
  if (rejects.length) {
    guard.push(
      db
        .insertInto('import_rejects')
        .values(rejects)
        .onConflict((oc) => oc.doNothing())
        .compile(),
    )
  }
  guard.push(unchanged(db, job.id, chunk))
  if (job.state === 'importing' && items.length) {
    return ingestForProject(db, job.project_id, items, new Date(), 'import', guard)
  }
  if (rejects.length) await runInTransaction(db, guard)
  return undefined
}

const unchanged = (db: Kysely<Database>, importId: number, chunk: ReadChunk) =>
  sql`WITH ch AS (
    SELECT md5(rows::text) AS hash FROM import_chunks
    WHERE import_id = ${importId} AND seq = ${chunk.seq}
    FOR UPDATE
  )
  SELECT tinycrm_abort(${CHUNK_CHANGED}, 'a delete changed the import chunk; reading it again')
  WHERE NOT EXISTS (SELECT 1 FROM ch WHERE ch.hash = ${chunk.hash})`.compile(db)
