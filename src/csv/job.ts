// CSV import, after the upload (./upload.ts) and the mapping (./mapping.ts): the job itself. A job
// advances one chunk (1,000 rows) per step, and every dashboard poll runs steps for about a second:
// no background threads, so it works the same on Node and on Workers. The dry run and the import
// run the same steps and the same classification SELECT (./classify.ts); only the import writes,
// through `ingestForProject` (one statement per chunk: the same upsert as the API).
import type { Kysely } from 'kysely'
import type { Database } from '../db/schema.js'
import { ApiError } from '../lib/errors.js'
import type { IngestItem } from '../ingest/fold.js'
import type { ItemResult } from '../ingest/upsert.js'
import { changesNothing, classify, foldRows, type Known } from './classify.js'
import { chunkChanged, readChunk, writeGuarded, type Reject } from './chunk-guard.js'
import { convertRow, validateMapping, type Converted, type Mapping } from './mapping.js'
import { stalledUpload } from './retention.js'

export type Outcome = 'created' | 'updated' | 'unchanged' | 'merged' | 'rejected'
export type Counts = Record<Outcome, number>
export const NO_COUNTS: Counts = { created: 0, updated: 0, unchanged: 0, merged: 0, rejected: 0 }

export interface Job {
  id: number
  account_id: number
  project_id: number
  header: string[]
  mapping: Mapping
  state: string
  next_chunk: number
  chunks: number
  created_at: Date
  counts: Counts
}

/** Runs one step (one chunk) of a dry run or an import. Returns false when there is nothing left. */
export async function runStep(db: Kysely<Database>, job: Job): Promise<boolean> {
  const dryRun = job.state === 'dry_run'
  if (!dryRun && job.state !== 'importing') return false
  if (job.next_chunk >= job.chunks) return false
  const known = new Map<string, Known>()
  let counts: Counts
  // A delete purges its person from the chunk meanwhile (src/merges/erase.ts): the write then
  // rolls back and the step starts again from what the chunk holds now. Each round follows a
  // delete that committed, so this ends.
  for (;;) {
    const chunk = await readChunk(db, job.id, job.next_chunk)
    const step = await prepare(db, job, chunk.rows, known)
    try {
      const results = await writeGuarded(db, job, chunk, step.items, step.rejects)
      counts = tally(step.rows, step.rejects.length, results)
      break
    } catch (err) {
      if (!chunkChanged(err)) throw err
    }
  }

  const total: Counts = { ...NO_COUNTS }
  for (const k of Object.keys(total) as Outcome[]) total[k] = (job.counts[k] ?? 0) + counts[k]
  const last = job.next_chunk + 1 >= job.chunks
  // Compare-and-set on next_chunk: two polls racing on one chunk count it once.
  const advance = db
    .updateTable('imports')
    .set({
      next_chunk: job.next_chunk + 1,
      counts: JSON.stringify(total),
      ...(last
        ? dryRun
          ? { state: 'dry_run_done' as const, dry_run: JSON.stringify(total) }
          : { state: 'done' as const, finished_at: new Date() }
        : {}),
    })
    .where('id', '=', job.id)
    .where('next_chunk', '=', job.next_chunk)
    .where('state', '=', job.state as 'dry_run')
    .returning('id')
  // The file's rows are personal data: once imported, only the rejected rows are kept. They go in
  // the same statement that marks the import done: as two, a process that died in between left a
  // finished import's rows for good (the abandoned-import sweep and a customer's erasure only
  // look at unfinished imports).
  const advanced =
    last && !dryRun
      ? await db
          .with('advanced', () => advance)
          .with('chunks_gone', (q) =>
            q
              .deleteFrom('import_chunks')
              .where('import_id', 'in', q.selectFrom('advanced').select('id'))
              .returning('import_id'),
          )
          .with('emails_gone', (q) =>
            q
              .deleteFrom('import_emails')
              .where('import_id', 'in', q.selectFrom('advanced').select('id'))
              .returning('import_id'),
          )
          .selectFrom('advanced')
          .select('id')
          .executeTakeFirst()
      : await advance.executeTakeFirst()
  if (!advanced) return false // another poll did this chunk; the next poll reloads the job
  job.next_chunk++
  job.counts = total
  if (last) job.state = dryRun ? 'dry_run_done' : 'done'
  return !last
}

/** Classifies a chunk's rows (emails not in `known` yet; `known` keeps them for a second round)
 *  and turns them into the items to ingest, the valid rows' expected outcomes and the rejected
 *  rows. */
async function prepare(
  db: Kysely<Database>,
  job: Job,
  stored: string[][],
  known: Map<string, Known>,
) {
  const dryRun = job.state === 'dry_run'
  const converted = stored.map((row) => convertRow(row, job.mapping, job.header))
  const fresh = [...new Set(converted.flatMap((c) => (c.error ? [] : [c.email!])))].filter(
    (e) => !known.has(e),
  )
  if (fresh.length) for (const [e, k] of await classify(db, job, fresh, dryRun)) known.set(e, k)
  const rows: Classified[] = []
  const inChunk = new Set<string>()
  const items: IngestItem[] = []
  // Whether the chunk's rows of an email, together, change its known relation; all of them are
  // dated alike (below), so the file's last row wins, as on the first import. Judged and dated
  // row by row, a row left as stored kept the relation's older time and lost to one that
  // differed: each import of the same file flipped the customer between its rows.
  const byEmail = new Map<string, Converted[]>()
  for (const row of converted)
    if (!row.error) byEmail.set(row.email!, [...(byEmail.get(row.email!) ?? []), row])
  const changing = new Set(
    [...byEmail].flatMap(([email, same]) => {
      const k = known.get(email)
      return k?.rel_last && !changesNothing(foldRows(same), k) ? [email] : []
    }),
  )
  for (const row of converted) {
    if (row.error) continue
    const k: Known | undefined = known.get(row.email!)
    const seen = inChunk.has(row.email!) || k?.earlier
    inChunk.add(row.email!)
    // A relation the project already has that this row leaves as it is.
    const unchanged = !!k?.rel_last && !changing.has(row.email!)
    rows.push({
      // A repeat of an email from an earlier chunk counts as its update, in the dry run (which
      // wrote nothing) as in the import.
      outcome:
        unchanged && !k?.earlier
          ? 'unchanged'
          : seen || k?.rel_last
            ? 'updated'
            : k?.customer_id
              ? 'merged'
              : 'created',
      // The row's first item: the ingest statement says whether it created the customer (only
      // the first item of a customer in one statement can have).
      item: seen ? undefined : items.length,
    })
    // Without a last-activity column a row is no activity: a known relation keeps its own time and
    // a new one starts at the job's creation, so importing the same file again changes nothing.
    // What such a row changes in a known relation is dated at the job's creation (its history,
    // "became paid in the last 7 days").
    const ts = row.hasActivity
      ? undefined
      : k?.rel_last
        ? new Date(k.rel_last)
        : new Date(job.created_at)
    const valuesAt =
      !row.hasActivity && k?.rel_last && !unchanged ? new Date(job.created_at) : undefined
    for (const item of row.items!)
      items.push(ts && !item.timestamp ? { ...item, timestamp: ts, valuesAt } : item)
  }
  const rejects: Reject[] = converted.flatMap((c, i) =>
    c.error
      ? [
          {
            import_id: job.id,
            line: c.line,
            reason: c.error,
            cells: JSON.stringify(stored[i]!.slice(1)),
          },
        ]
      : [],
  )
  return { rows, items, rejects }
}

/** A valid row: what the classification expects of it, and which item to check that against. */
interface Classified {
  outcome: Exclude<Outcome, 'rejected'>
  item?: number
}

/** A step's counts. Whether a customer was created is the ingest statement's own answer: the
 *  classification read before it cannot know of another import or call that created the same
 *  email meanwhile (two concurrent imports of one file both counted every row created). */
function tally(rows: Classified[], rejected: number, results: ItemResult[] | undefined): Counts {
  const counts: Counts = { ...NO_COUNTS, rejected }
  for (const { outcome, item } of rows) {
    const result = results && item !== undefined ? results[item] : undefined
    const created = result?.type === 'identify' ? result.created : outcome === 'created'
    counts[created ? 'created' : outcome === 'created' ? 'updated' : outcome]++
  }
  return counts
}

export async function loadJob(db: Kysely<Database>, accountId: number, importId: number) {
  const row = await db
    .selectFrom('imports')
    .selectAll()
    .select(stalledUpload().as('interrupted'))
    .where('id', '=', importId)
    .where('account_id', '=', accountId)
    .executeTakeFirst()
  if (!row) throw new ApiError('not_found', 'No such import')
  return {
    ...row,
    mapping: (row.mapping as Mapping | null) ?? [],
    counts: { ...NO_COUNTS, ...row.counts },
    dry_run: row.dry_run as Counts | null,
  }
}

/** Runs steps until the job ends or `budgetMs` has passed (one poll's worth of work). */
export async function runFor(db: Kysely<Database>, job: Job, budgetMs: number) {
  const until = Date.now() + budgetMs
  while (Date.now() < until && (await runStep(db, job))) {
    // keep going
  }
}

/** Sets the mapping and starts the dry run (from the first chunk). */
export async function startDryRun(
  db: Kysely<Database>,
  accountId: number,
  importId: number,
  mapping: Mapping,
) {
  const job = await loadJob(db, accountId, importId)
  if (job.state === 'importing' || job.state === 'done') {
    throw new ApiError('conflict', 'This import has already started')
  }
  // Its rows are not all stored: a dry run of them would end on what had arrived.
  if (job.state === 'uploading') {
    throw new ApiError('conflict', 'This file has not finished uploading')
  }
  const valid = validateMapping(mapping, job.header)
  await db.deleteFrom('import_rejects').where('import_id', '=', importId).execute()
  await db.deleteFrom('import_emails').where('import_id', '=', importId).execute()
  await db
    .updateTable('imports')
    .set({
      mapping: JSON.stringify(valid),
      state: 'dry_run',
      next_chunk: 0,
      counts: '{}',
      dry_run: null,
    })
    .where('id', '=', importId)
    .execute()
}

/** Starts the import proper, after a finished dry run. */
export async function startImport(db: Kysely<Database>, accountId: number, importId: number) {
  const row = await db
    .updateTable('imports')
    .set({ state: 'importing', next_chunk: 0, counts: '{}' })
    .where('id', '=', importId)
    .where('account_id', '=', accountId)
    .where('state', '=', 'dry_run_done')
    .returning('id')
    .executeTakeFirst()
  if (!row)
    throw new ApiError('conflict', 'Run the dry run first (or this import has already started)')
}

export async function listRejects(db: Kysely<Database>, importId: number, limit?: number) {
  let q = db
    .selectFrom('import_rejects')
    .select(['line', 'reason', 'cells'])
    .where('import_id', '=', importId)
    .orderBy('line')
  if (limit) q = q.limit(limit)
  return q.execute()
}

/** The whole flow without a browser (tests, scripts): dry run, then import, to the end. */
export async function importToEnd(
  db: Kysely<Database>,
  accountId: number,
  importId: number,
  mapping: Mapping,
): Promise<{ dryRun: Counts; counts: Counts }> {
  await startDryRun(db, accountId, importId, mapping)
  const job = await loadJob(db, accountId, importId)
  while (await runStep(db, job)) {
    // one chunk per step
  }
  const dryRun = { ...job.counts }
  await startImport(db, accountId, importId)
  const running = await loadJob(db, accountId, importId)
  while (await runStep(db, running)) {
    // one chunk per step
  }
  return { dryRun, counts: running.counts }
}

/** The account's latest imports, newest first, with their project: the list of past imports. */
export async function listImports(db: Kysely<Database>, accountId: number, limit = 20) {
  const rows = await db
    .selectFrom('imports as i')
    .innerJoin('projects as p', 'p.id', 'i.project_id')
    .select([
      'i.id',
      'i.filename',
      'i.state',
      'i.total_rows',
      'i.counts',
      'i.created_at',
      'i.finished_at',
      stalledUpload('i').as('interrupted'),
      'p.name as project_name',
      'p.color as project_color',
    ])
    .where('i.account_id', '=', accountId)
    .orderBy('i.id', 'desc')
    .limit(limit)
    .execute()
  return rows.map((r) => ({ ...r, counts: { ...NO_COUNTS, ...r.counts } }))
}

/** The first stored rows of an import (its file line first, then the cells), for the preview. */
export async function firstChunkRows(db: Kysely<Database>, importId: number): Promise<string[][]> {
  const chunk = await db
    .selectFrom('import_chunks')
    .select('rows')
    .where('import_id', '=', importId)
    .where('seq', '=', 0)
    .executeTakeFirst()
  return chunk?.rows ?? []
}
