// Ingestion: identify, ping and batch all become one call of `ingest()` (API keys) or
// `ingestForProject()` (imports, the dashboard): the items folded per email (./fold.ts), then ONE
// statement (./statement.ts) that checks the key, upserts the customers and their relations, and
// moves last activity; run again on a deadlock or when a merge moved a customer it writes to.
import { sql, type CompiledQuery, type Kysely } from 'kysely'
import { lockOrder } from '../db/lock-order.js'
import type { Database } from '../db/schema.js'
import { retryTransient } from '../db/retry.js'
import { runInTransaction } from '../db/transaction.js'
import { ApiError } from '../lib/errors.js'
import type { BatchItem } from './schemas.js'
import { fold, type IngestItem } from './fold.js'
import {
  ingestStatement,
  jsonIngestQuery,
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
/** The SQLSTATE of the one-by-one transaction's last check (a class of the app's own). */
const WRITER_GONE = 'TC002'

/** Whether a one-by-one transaction rolled back because its key (or project) can no longer write. */
export const writerGone = (err: unknown) => (err as { code?: string } | null)?.code === WRITER_GONE

/** Throws 401/403 (404 for a project) when the statement found no key or a revoked one. */
function checkWriter(writer: Writer, result: { found: number; revoked: boolean }) {
  if (result.found === 0) {
    throw 'keyHash' in writer
      ? new ApiError('unauthorized', 'Unknown API key')
      : new ApiError('not_found', 'No such project')
  }
  if (result.revoked) throw new ApiError('forbidden', 'This API key has been revoked')
}

/** The key (or the project) can still write: a last statement of the one-by-one transaction, which
 *  rolls it back when a revocation (or a deletion) committed while it ran. */
function writerStillValid(writer: Writer) {
  const valid =
    'keyHash' in writer
      ? sql`SELECT 1 FROM api_keys k JOIN projects p ON p.id = k.project_id
          WHERE k.key_hash = ${writer.keyHash} AND k.revoked_at IS NULL`
      : sql`SELECT 1 FROM projects WHERE id = ${writer.projectId}`
  return sql`SELECT tinycrm_abort(${WRITER_GONE}, 'the key can no longer write')
    WHERE NOT EXISTS (${valid})`
}

/** The writer's account, as a subquery. */
const accountOf = (writer: Writer) =>
  'keyHash' in writer
    ? sql`(SELECT p.account_id FROM api_keys k JOIN projects p ON p.id = k.project_id
        WHERE k.key_hash = ${writer.keyHash})`
    : sql`(SELECT account_id FROM projects WHERE id = ${writer.projectId})`

/**
 * The order the items are written in, as indexes into `emails` (each item's; null: one found
 * by other means, a Segment id): the items of emails that have a customer first, as sent
 * (lockBatchCustomers holds those customers already, and two emails of one customer must keep
 * their order), then the items of new emails by email, each email's in the order sent. A new
 * email's row is locked when its first item inserts it: in the items' order, batches sending the
 * same new emails in other orders deadlocked one another past every retry (a race on PostgreSQL
 * answered 4 of 180 such batches 500, 40P01); by email, they insert them in the order every
 * writer does. An email created or erased since this read only moves in that order.
 */
async function writeOrder(
  db: Kysely<Database>,
  writer: Writer,
  emails: readonly (string | null)[],
) {
  const named = [...new Set(emails.filter((email) => email !== null))]
  // The new emails ranked by the database's own ORDER BY email (its collation, as the statements
  // that lock them), not by JavaScript's comparison of code units.
  const { rows } = await sql<{
    email: string
  }>`SELECT n.email FROM unnest(${named}::text[]) AS n(email)
    WHERE NOT EXISTS (SELECT 1 FROM customers c
      WHERE c.account_id = ${accountOf(writer)} AND c.email = n.email)
    ORDER BY n.email`.execute(db)
  const rank = new Map(rows.map((r, place) => [r.email, place]))
  const rankOf = (n: number) => (emails[n] === null ? undefined : rank.get(emails[n]!))
  const indexes = emails.map((_, n) => n)
  const ofCustomers = indexes.filter((n) => rankOf(n) === undefined)
  // A stable sort: an email's items keep their order.
  const ofNewEmails = indexes.filter((n) => rankOf(n) !== undefined)
  ofNewEmails.sort((a, b) => rankOf(a)! - rankOf(b)!)
  return [...ofCustomers, ...ofNewEmails]
}

/** Locks the customers of `emails` up front (a merged email's survivor too), in the order every
 *  writer locks customers: tombstones first, then by email (ingest's statement, and merges'
 *  lockCustomers in ../merges/store.ts). Left to the items' statements, each locked its own
 *  customers in the items' order, and such transactions deadlocked one another and merges past
 *  every retry (a soak on PostgreSQL answered three batches 500, 40P01). */
function lockBatchCustomers(writer: Writer, emails: string[]) {
  const account = accountOf(writer)
  const list = sql`${[...new Set(emails)]}::text[]`
  return sql`SELECT c.id FROM customers c
    WHERE c.account_id = ${account} AND (c.email = ANY (${list}) OR c.id IN (
      SELECT t.merged_into FROM customers t WHERE t.account_id = ${account} AND t.email = ANY (${list})))
    ${lockOrder('NO KEY UPDATE', 'c')}`
}

/**
 * One statement per item (`statementOf(n)` for item n), in writeOrder's order of `orderBy` (each
 * item's email, or null to keep it where it is), all in ONE transaction: the customers of
 * `emails` locked first, `after` last but one, and a last check that the writer can still write.
 * A request is written whole or not at all, here too: each statement committing alone, a key
 * revoked (or a failure) midway answered 403 (or an error) with the items before it written:
 * measured on PostgreSQL, a batch of 3,000 revoked after 3 s answered 403 with 727 of them stored.
 * Each item's result row, in the items' order; throws what the transaction threw (`writerGone`
 * when the writer can no longer write: nothing was written then). Used by writeOneByOne and by
 * Segment's event-by-event fallback (../segment/store.ts).
 */
export async function runItemByItem(
  db: Kysely<Database>,
  writer: Writer,
  item: {
    orderBy: readonly (string | null)[]
    emails: string[]
    statementOf: (n: number) => CompiledQuery
  },
  after: readonly CompiledQuery[] = [],
): Promise<unknown[]> {
  const order = await writeOrder(db, writer, item.orderBy)
  const results = await runInTransaction(db, [
    lockBatchCustomers(writer, item.emails).compile(db),
    ...order.map(item.statementOf),
    ...after,
    writerStillValid(writer).compile(db),
  ])
  // Item n's statement came after the lock, at its place in `order`.
  const byItem: unknown[] = []
  order.forEach((n, place) => (byItem[n] = results[place + 1]!.rows[0]))
  return byItem
}

/** The items one by one (runItemByItem), when one statement cannot apply them. */
async function writeOneByOne(
  db: Kysely<Database>,
  writer: Writer,
  items: IngestItem[],
  receivedAt: Date,
  source: Source,
  after: readonly CompiledQuery[],
): Promise<ItemResult[]> {
  const folded = items.map((item) => fold([item], receivedAt))
  const emails = items.map((item) => item.email)
  let results
  try {
    results = await runItemByItem(
      db,
      writer,
      {
        orderBy: emails,
        emails,
        statementOf: (n) => jsonIngestQuery(db, writer, folded[n]!.rows, source),
      },
      after,
    )
  } catch (err) {
    if (!writerGone(err)) throw err
    // Which answer: the key's state now (the transaction wrote nothing).
    const [check] = await runInTransaction(db, [jsonIngestQuery(db, writer, [], source)])
    checkWriter(writer, check!.rows[0] as unknown as IngestResult)
    throw err
  }
  return items.map((item, n) => {
    const result = results[n] as IngestResult
    checkWriter(writer, result)
    return resultOf(item, folded[n]!.groupOf[0]!, byRow(result), true)
  })
}

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

/** Runs one ingest statement (with `first` before it and `after` after it in its transaction),
 *  again on a deadlock, a serialization failure or the statement's own abort when a merge moved a
 *  customer it writes to (../db/retry.ts). */
export async function runIngest<Report extends object = object>(
  db: Kysely<Database>,
  writer: Writer,
  rows: IngestRows,
  after: readonly CompiledQuery[] = [],
  first: readonly CompiledQuery[] = [],
): Promise<IngestResult & Report> {
  return runCompiledIngest(db, ingestStatement<Report>(writer, rows).compile(db), after, first)
}

async function runCompiledIngest<Result>(
  db: Kysely<Database>,
  statement: CompiledQuery<Result>,
  after: readonly CompiledQuery[],
  first: readonly CompiledQuery[] = [],
): Promise<Result> {
  if (after.length || first.length) {
    const results = await runInTransaction(db, [...first, statement, ...after])
    return results[first.length]!.rows[0] as Result
  }
  return retryTransient(async () => (await db.executeQuery(statement)).rows[0]!)
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
    result = await runCompiledIngest(db, jsonIngestQuery(db, writer, rows, source), after)
  } catch (err) {
    // 21000: two emails of one batch are the same customer (one merged into the other), and
    // one statement may not touch a row twice. Rare: apply those items one by one, in order.
    if ((err as { code?: string }).code === CARDINALITY_VIOLATION && items.length > 1) {
      return writeOneByOne(db, writer, items, receivedAt, source, after)
    }
    throw err
  }
  checkWriter(writer, result)

  const rowsOf = byRow(result)
  // Several items of one customer are one row of the statement: the first of them made the
  // customer, if it was new; the others found it.
  const reported = new Set<number>()
  return items.map((item, n): ItemResult => {
    const group = groupOf[n]!
    // A ping first in its row does not count: the identify after it made the customer.
    const first = item.type === 'identify' && !reported.has(group)
    if (item.type === 'identify') reported.add(group)
    return resultOf(item, group, rowsOf, first)
  })
}

/** The statement's answer per row of it. */
function byRow(result: IngestResult) {
  return {
    identified: new Map(result.identified.map((r) => [r.i, r])),
    pinged: new Map(result.pinged.map((r) => [r.i, r])),
  }
}

/** What the statement says of `item` (its row `group`); `first`: the first item of that row. */
function resultOf(
  item: IngestItem,
  group: number,
  rows: ReturnType<typeof byRow>,
  first: boolean,
): ItemResult {
  const ident = rows.identified.get(group)
  if (item.type === 'identify') {
    return { type: 'identify', customerId: ident!.id, created: first && ident!.created }
  }
  const id = ident?.id ?? rows.pinged.get(group)?.id
  return id === undefined
    ? { type: 'ping', found: false }
    : { type: 'ping', found: true, customerId: id }
}
