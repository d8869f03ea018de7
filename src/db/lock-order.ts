// The one order every writer locks customer rows in: tombstones first, then by email (ingest's
// statement, a batch's lock, merges, undo, erasure, billing events). Writers that lock in one order
// cannot deadlock one another; a transaction that locks its rows in a statement of its own and then
// acts in the next (src/merges/store.ts says why) keeps to it by two things here:
//
// - `recordHeld`: the first statement leaves the ids it locked in a transaction-local setting.
// - `heldFirst`: the next statement checks, before it locks anything, that the rows it is about
//   to lock hold none that the first did not lock and that comes before one it did. A merge that
//   committed while the first statement waited for it adds a tombstone the first statement's
//   snapshot did not hold; locking it now, after its survivor, is the reverse of the order an
//   identify of that email takes (tombstone, then survivor), and the two deadlock, each deadlock
//   costing a `deadlock_timeout` (1 s by default) before the retry. Instead the statement aborts
//   with 40001, the transaction runs again at once (./retry.ts), and its first statement then
//   locks the tombstone in its place.
//
// Measured on PostgreSQL 15: src/billing/races.pg.test.ts alone, 510 deadlocks before the check,
// none after (506 aborts, retried); beside the other two billing race files, 638 deadlocks and two
// events past every retry (500), then 4 and none.
import { sql, type RawBuilder } from 'kysely'

const HELD = 'tinycrm.held'

/** That order, on customers `on` (`f` unless named), with the lock `FOR …` of them (and of the
 *  rows of `also`, tables joined to them). The only place the order is written. */
export const lockOrder = (lock: 'UPDATE' | 'NO KEY UPDATE', on = 'f', ...also: string[]) =>
  sql.raw(
    `ORDER BY ${on}.merged_into IS NULL,${on}.email FOR ${lock} OF ${[on, ...also].join(',')}`,
  )

/** `locking` (a SELECT of customers `f`'s ids in lockOrder), as a statement that also records the
 *  ids it locked, for heldFirst. */
export const recordHeld = (locking: RawBuilder<unknown>) =>
  sql`SELECT set_config(${HELD},COALESCE(string_agg(l.id::text,','),''),true) FROM (${locking}) l`

const held = sql`string_to_array(current_setting(${HELD},true),',')::bigint[]`

/** True, or aborts the statement with 40001 when `rows` (a FROM … WHERE of customers `f`, the
 *  rows the statement will lock) hold one that recordHeld did not record (and `also` holds). */
const unheld = (rows: RawBuilder<unknown>, also = sql``) =>
  sql`(SELECT CASE WHEN EXISTS (SELECT 1 FROM ${rows} AND f.id<>ALL(${held})${also})
THEN tinycrm_abort('40001', 'a merge moved a customer this request writes to; retrying') ELSE true END)`

/** True, or aborts (see the top of this file): `rows` hold one that recordHeld did not record and
 *  that comes before one it did in lockOrder. */
export const heldFirst = (rows: RawBuilder<unknown>) =>
  unheld(
    rows,
    sql` AND EXISTS (SELECT 1 FROM customers h WHERE h.id=ANY(${held}) AND (f.merged_into IS NULL,f.email)<(h.merged_into IS NULL,h.email))`,
  )

/** True, or aborts: `rows` hold one that recordHeld did not record, wherever it sorts. For a
 *  statement that has locked a row of another table before it locks these (a billing event's
 *  statement, which upserts its billing customer first): a customer it locks only then is locked
 *  after that row, the reverse of an erasure's order, and the two deadlock. Aborted, the
 *  transaction runs again at once and its first statement reads and locks that customer in its
 *  place. */
export const allHeld = (rows: RawBuilder<unknown>) => unheld(rows)

/** The ids of the customers `ids` (an SQL list of survivors' ids, or one expression) and of every
 *  customer merged into them, as an array for `f.id = ANY(…)`: found by the primary key and the
 *  tombstones' index whatever the planner's statistics say. Written as `f.id = … OR f.merged_into
 *  = …`, a plan made while an account's statistics were stale walked all its customers (the
 *  billing bench's two statements an event: 17–28 ms at 7,490 customers, auto_explain). */
export const familyIds = (ids: RawBuilder<unknown>) =>
  sql`ARRAY(SELECT unnest(ARRAY[${ids}]::bigint[]) UNION ALL SELECT m.id FROM customers m WHERE m.merged_into IN (${ids}))`
