// How long an unfinished CSV import keeps the uploaded file. Its rows (emails, names, anything the
// file held) wait in import_chunks for someone to finish the import; one abandoned for a week
// never will be, and keeping the rows would keep personal data nobody asked to store. An upload
// whose bytes stopped arriving (the browser closed, the connection or the server gone mid-file)
// never will be either: it is interrupted once STALLED_UPLOAD_MINUTES pass without progress, and
// goes at the next sweep. Run on Node at start and every hour (src/node.ts), on Workers by a Cron
// Trigger (src/worker.ts).
import { sql, type Kysely } from 'kysely'
import type { Database } from '../db/schema.js'

export const ABANDONED_IMPORT_DAYS = 7

/** Minutes without progress after which an upload is interrupted. Progress is each MiB that
 *  arrives (./upload.ts), so an upload is alive while it gets at least ~1.1 KB/s, far below any
 *  real connection, and a 50 MB file may take hours; a pause of a few minutes (a laptop lid, a
 *  train tunnel) does not kill it. A stalled TCP connection is given up by then anyway. Time
 *  since the last progress, not since the start: a slow upload is not a dead one. */
export const STALLED_UPLOAD_MINUTES = 15

/** Whether the import of `imports` (or its alias) is an upload that stopped arriving, by the
 *  database's clock, as the sweep judges it. */
export const stalledUpload = (table = 'imports') =>
  sql<boolean>`(${sql.ref(`${table}.state`)} = 'uploading' AND ${sql.ref(`${table}.progress_at`)}
    < now() - make_interval(mins => ${STALLED_UPLOAD_MINUTES}))`

/** Deletes imports not finished and created more than `days` ago, and interrupted uploads, with
 *  their rows, dry-run notes and rejected rows (ON DELETE CASCADE). Returns how many went. */
export async function expireAbandonedImports(
  db: Kysely<Database>,
  days = ABANDONED_IMPORT_DAYS,
): Promise<number> {
  const gone = await db
    .deleteFrom('imports')
    .where('finished_at', 'is', null)
    .where((eb) =>
      eb.or([
        eb('created_at', '<', sql<Date>`now() - make_interval(days => ${days})`),
        stalledUpload(),
      ]),
    )
    .executeTakeFirst()
  return Number(gone.numDeletedRows)
}

/** Removes an interrupted upload of the account now, rather than at the next sweep (its page's
 *  and the imports list's button). False when there is none: no such import, or one whose bytes
 *  still arrive, which the sweep would not take either. */
export async function discardInterruptedUpload(
  db: Kysely<Database>,
  accountId: number,
  importId: number,
): Promise<boolean> {
  const gone = await db
    .deleteFrom('imports')
    .where('id', '=', importId)
    .where('account_id', '=', accountId)
    .where(stalledUpload())
    .executeTakeFirst()
  return Number(gone.numDeletedRows) > 0
}
