// The first statement of a merge and of an erasure: the customers locked, in the order every writer
// locks them (../db/lock-order.ts); and the check the next statement makes before it acts.
import { sql, type Kysely } from 'kysely'
import { familyIds, heldFirst, lockOrder, recordHeld } from '../db/lock-order.js'
import type { Database } from '../db/schema.js'

/** The customers `ids` and every customer merged into them, as `f` (a FROM … WHERE). */
const familyOf = (accountId: number, ids: number[]) => {
  const list = sql.join(ids)
  return sql`customers f
    WHERE f.account_id = ${accountId} AND f.id = ANY(${familyIds(list)})`
}

/** Locks the customers `ids` and every customer merged into them (in the order every writer locks
 *  them: ../db/lock-order.ts), for the statements after it in the transaction, which check with
 *  stillHeld before they act. */
export function lockCustomers(db: Kysely<Database>, accountId: number, ids: number[]) {
  return recordHeld(
    sql`SELECT f.id FROM ${familyOf(accountId, ids)} ${lockOrder('UPDATE')}`,
  ).compile(db)
}

/** True, or aborts the statement (40001, run again): the customers `ids` and theirs hold one
 *  lockCustomers did not lock that comes first in the lock order (../db/lock-order.ts). */
export const stillHeld = (accountId: number, ids: number[]) => heldFirst(familyOf(accountId, ids))
