// Merging two customers and undoing a merge (erasing a customer is ./erase.ts).
//
// Each runs as statements of ONE transaction (src/db/transaction.ts: a Kysely transaction on Node,
// one batch — one round trip — over Neon's HTTP driver, which has no interactive transactions).
// The first statement only locks the customer rows involved; the next ones act. Why two: in READ
// COMMITTED a statement reads one snapshot, and a lock it waits for mid-statement does not refresh
// it — a merge built as one statement read the relations as they were when it started, then
// overwrote or deleted rows an identify had committed meanwhile (issue 9: acknowledged writes
// lost). Once the first statement holds the rows, no ingest can write to those customers (it locks
// the same rows, in the same order: an absorbed email's row before its survivor's), and the next
// statement starts with a snapshot that holds every write that came before. The merged customer's
// row stays as a tombstone (merged_into) so that ingest finds where its email went: see the top of
// src/ingest/upsert.ts.
import type { Kysely } from 'kysely'
import type { Database, MergeSnapshot } from '../db/schema.js'
import { runInTransaction } from '../db/transaction.js'
import { ApiError } from '../lib/errors.js'
import { lockCustomers } from './lock.js'
import { mergeBillingStatement, mergeStatement, sealStatement } from './merge-sql.js'
import {
  undoBillingStatement,
  undoLockStatement,
  undoStatement,
  type UndoOutcome,
} from './undo-sql.js'

export interface MergeInput {
  accountId: number
  /** The customer that stays: its id and its email survive. */
  survivorId: number
  /** The customer folded into the survivor; its email goes on routing writes to the survivor. */
  absorbedId: number
  /** Who asked: `user:<id>` or `token:<id>` (kept in the merge record and the audit). */
  actor: string
}

/**
 * Folds `absorbedId` into `survivorId`. Per project the relations combine: newest wins for the
 * status and each param key (without times: the status of the more recently updated relation and
 * the survivor's params), the earliest first seen and the latest last activity; where the two have
 * billing rows, the status and billing params then say what billing says of all their
 * subscriptions (mergeBillingStatement), before the seal records the survivor's state. The
 * survivor keeps its name (the absorbed one's fills a blank). The absorbed customer stays as a
 * tombstone pointing at the survivor — hidden from every list, it routes later identify/ping calls
 * with its email to the survivor — and the merge keeps a snapshot of both, so it can be undone,
 * and the survivor's state right after it, so that undo can tell whether anything arrived since.
 */
export async function mergeCustomers(
  db: Kysely<Database>,
  input: MergeInput,
): Promise<{ mergeId: number }> {
  const { accountId: acct, survivorId: surv, absorbedId: abs, actor } = input
  if (surv === abs) {
    throw new ApiError('validation_failed', 'A customer cannot be merged into itself', [
      { path: 'absorbedId', message: 'must differ from survivorId' },
    ])
  }
  const parties = { acct, surv, abs, actor }
  const [, merged] = await runInTransaction(db, [
    lockCustomers(db, acct, [surv, abs]),
    mergeStatement(db, parties),
    mergeBillingStatement(db, parties),
    sealStatement(db, parties),
  ])
  const row = merged!.rows[0] as { id: number } | undefined
  if (!row) throw await whyNotFound(db, acct, [surv, abs])
  return { mergeId: row.id }
}

async function whyNotFound(db: Kysely<Database>, accountId: number, ids: number[]) {
  const found = await db
    .selectFrom('customers')
    .select('id')
    .where('account_id', '=', accountId)
    .where('id', 'in', ids)
    .where('merged_into', 'is', null)
    .execute()
  const missing = ids.filter((id) => !found.some((f) => f.id === id))
  return new ApiError('not_found', `No customer ${missing.join(' or ')} in this account`)
}

export interface UndoInput {
  accountId: number
  mergeId: number
  actor: string
}

const UNDO_REFUSED: Record<string, string> = {
  undone: 'This merge has already been undone',
  later_merge: 'A later merge involves this customer: undo that one first',
  changed:
    'The merged customer has changed since the merge (new data arrived); undoing would lose it',
}

/**
 * Undoes a merge from its snapshot: the absorbed customer comes back with its id, relations and
 * values, the customers merged into it before come back to it, and the survivor's row and
 * relations return to what they were; then each of the two says what its own emails' billing rows
 * say (undoBillingStatement). Refused (409) when the survivor changed since the merge (its state
 * no longer matches the one recorded right after it) or a later merge involves it: undo never
 * discards data that arrived after the merge. The check and the restore run in one statement,
 * after the rows are locked, so no write can slip between them.
 */
export async function undoMerge(
  db: Kysely<Database>,
  input: UndoInput,
): Promise<{ customerIds: number[] }> {
  const { accountId: acct, mergeId } = input
  const [, result] = await runInTransaction(db, [
    undoLockStatement(db, acct, mergeId),
    undoStatement(db, acct, mergeId, input.actor),
    undoBillingStatement(db, acct, mergeId),
  ])
  const row = result!.rows[0] as UndoOutcome
  if (!row.found) throw new ApiError('not_found', `No merge ${mergeId} in this account`)
  if (row.refused) throw new ApiError('conflict', UNDO_REFUSED[row.refused] ?? row.refused)
  return { customerIds: [row.survivor_id!, row.absorbed_id!] }
}

export async function listMerges(db: Kysely<Database>, accountId: number, customerId: number) {
  return db
    .selectFrom('merges')
    .select([
      'id',
      'survivor_id',
      'absorbed_id',
      'absorbed_email',
      'actor',
      'created_at',
      'undone_at',
    ])
    .where('account_id', '=', accountId)
    .where('survivor_id', '=', customerId)
    .orderBy('created_at', 'desc')
    .orderBy('id', 'desc')
    .limit(20)
    .execute()
}

export type { MergeSnapshot }
