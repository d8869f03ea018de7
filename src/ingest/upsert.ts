// Ingestion: identify, ping and batch all become one call of `ingest()` (API keys) or
// `ingestForProject()` (imports, the dashboard): the items folded per email (./fold.ts), then ONE
// statement (./statement.ts) that checks the key, upserts the customers and their relations, and
// moves last activity; run again on a deadlock or when a merge moved a customer it writes to.
import type { CompiledQuery, Kysely } from 'kysely'
import type { Database } from '../db/schema.js'
import { retryTransient } from '../db/retry.js'
import { runInTransaction } from '../db/transaction.js'
import { ApiError } from '../lib/errors.js'
import type { BatchItem } from './schemas.js'
import { fold, type IngestItem } from './fold.js'
import {
  ingestStatement,
  jsonRows,
  type IngestResult,
  type IngestRows,
  type Source,
  type Writer,
} from './statement.js'

export type { Source } from './statement.js'

export type ItemResult =
  | { type: 'identify'; customerId: number; created: boolean }
  | { type: 'ping'; found: boolean; customerId?: number }

const CARDINALITY_VIOLATION = '21000'

/** Applies the items with the project key whose SHA-256 is `keyHash`; one result per item, in order.
 *  Throws 401/403 for an unknown or revoked key; writes nothing then. */
export async function ingest(
  db: Kysely<Database>,
  keyHash: string,
  items: BatchItem[],
  receivedAt = new Date(),
): Promise<ItemResult[]> {
  return write(db, { keyHash }, items, receivedAt, 'api')
}

/** The same upsert for a project the caller has already authorised (CSV import, the dashboard):
 *  one statement. `after`: statements that commit with it, in one transaction (a CSV import step
 *  checks there that its chunk is still what it read: ../csv/chunk-guard.ts); one of them failing rolls
 *  the write back. */
export async function ingestForProject(
  db: Kysely<Database>,
  projectId: number,
  items: IngestItem[],
  receivedAt = new Date(),
  source: Source = 'import',
  after: readonly CompiledQuery[] = [],
): Promise<ItemResult[]> {
  return write(db, { projectId }, items, receivedAt, source, after)
}

/** Runs one ingest statement (with `after` in its transaction), again on a deadlock, a
 *  serialization failure or the statement's own abort when a merge moved a customer it writes to
 *  (../db/retry.ts). */
export async function runIngest<Report extends object = object>(
  db: Kysely<Database>,
  writer: Writer,
  rows: IngestRows,
  after: readonly CompiledQuery[] = [],
): Promise<IngestResult & Report> {
  const statement = ingestStatement<Report>(writer, rows)
  if (after.length) {
    const [result] = await runInTransaction(db, [statement.compile(db), ...after])
    return result!.rows[0] as IngestResult & Report
  }
  return retryTransient(async () => (await statement.execute(db)).rows[0]!)
}

async function write(
  db: Kysely<Database>,
  writer: Writer,
  items: IngestItem[],
  receivedAt: Date,
  source: Source,
  after: readonly CompiledQuery[] = [],
): Promise<ItemResult[]> {
  const { rows, groupOf } = fold(items, receivedAt)
  let result: IngestResult
  try {
    result = await runIngest(db, writer, jsonRows(rows, source), after)
  } catch (err) {
    // 21000: two emails of one batch are the same customer (one merged into the other), and
    // one statement may not touch a row twice. Rare: apply those items one by one, in order.
    if ((err as { code?: string }).code === CARDINALITY_VIOLATION && items.length > 1) {
      const results: ItemResult[] = []
      for (const item of items) {
        results.push(...(await write(db, writer, [item], receivedAt, source, after)))
      }
      return results
    }
    throw err
  }
  if (result.found === 0) {
    throw 'keyHash' in writer
      ? new ApiError('unauthorized', 'Unknown API key')
      : new ApiError('not_found', 'No such project')
  }
  if (result.revoked) throw new ApiError('forbidden', 'This API key has been revoked')

  const identified = new Map(result.identified.map((r) => [r.i, r]))
  const pinged = new Map(result.pinged.map((r) => [r.i, r]))
  // Several items of one customer are one row of the statement: the first of them made the
  // customer, if it was new; the others found it.
  const reported = new Set<number>()
  return items.map((item, n): ItemResult => {
    const group = groupOf[n]!
    const ident = identified.get(group)
    if (item.type === 'identify') {
      const first = !reported.has(group)
      reported.add(group)
      return { type: 'identify', customerId: ident!.id, created: first && ident!.created }
    }
    const id = ident?.id ?? pinged.get(group)?.id
    return id === undefined
      ? { type: 'ping', found: false }
      : { type: 'ping', found: true, customerId: id }
  })
}
