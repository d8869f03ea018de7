// Ingestion: identify, ping and batch all become one call of `ingest()` (API keys) or
// `ingestForProject()` (imports, the dashboard): the items folded per email (./fold.ts), then ONE
// statement (./statement.ts) that checks the key, upserts the customers and their relations, and
// moves last activity; run again on a deadlock or when a merge moved a customer it writes to.
import type { Kysely } from 'kysely'
import type { Database } from '../db/schema.js'
import { retryTransient } from '../db/retry.js'
import { ApiError } from '../lib/errors.js'
import type { BatchItem } from './schemas.js'
import { fold } from './fold.js'
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
 *  one statement. */
export async function ingestForProject(
  db: Kysely<Database>,
  projectId: number,
  items: BatchItem[],
  receivedAt = new Date(),
  source: Source = 'import',
): Promise<ItemResult[]> {
  return write(db, { projectId }, items, receivedAt, source)
}

/** Runs one ingest statement, again on a deadlock, a serialization failure or the statement's own
 *  abort when a merge moved a customer it writes to (../db/retry.ts). */
export async function runIngest<Report extends object = object>(
  db: Kysely<Database>,
  writer: Writer,
  rows: IngestRows,
): Promise<IngestResult & Report> {
  return retryTransient(
    async () => (await ingestStatement<Report>(writer, rows).execute(db)).rows[0]!,
  )
}

async function write(
  db: Kysely<Database>,
  writer: Writer,
  items: BatchItem[],
  receivedAt: Date,
  source: Source,
): Promise<ItemResult[]> {
  const { rows, groupOf } = fold(items, receivedAt)
  let result: IngestResult
  try {
    result = await runIngest(db, writer, jsonRows(rows, source))
  } catch (err) {
    // 21000: two emails of one batch are the same customer (one merged into the other), and
    // one statement may not touch a row twice. Rare: apply those items one by one, in order.
    if ((err as { code?: string }).code === CARDINALITY_VIOLATION && items.length > 1) {
      const results: ItemResult[] = []
      for (const item of items) {
        results.push(...(await write(db, writer, [item], receivedAt, source)))
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
  return items.map((item, n): ItemResult => {
    const group = groupOf[n]!
    const ident = identified.get(group)
    if (item.type === 'identify') {
      return { type: 'identify', customerId: ident!.id, created: ident!.created }
    }
    const id = ident?.id ?? pinged.get(group)?.id
    return id === undefined
      ? { type: 'ping', found: false }
      : { type: 'ping', found: true, customerId: id }
  })
}
