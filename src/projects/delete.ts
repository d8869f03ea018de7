// Deleting a project: what it takes with it (for the confirmation page), and the deletion itself.
// Both take the account id, so another account's project answers "not found".
import { sql, type Kysely } from 'kysely'
import type { Database } from '../db/schema.js'
import { runInTransaction } from '../db/transaction.js'
import { activeKeys, customerCount } from './counts.js'

/** What deleting a project takes with it, for the confirmation page. */
export async function projectDeletionImpact(
  db: Kysely<Database>,
  accountId: number,
  projectId: number,
) {
  return db
    .selectFrom('projects as p')
    .select((eb) => [
      'p.id',
      'p.name',
      'p.color',
      customerCount(eb),
      eb
        .selectFrom('customer_projects as r')
        .whereRef('r.project_id', '=', 'p.id')
        .where(({ not, exists, selectFrom }) =>
          not(
            exists(
              selectFrom('customer_projects as o')
                .select('o.project_id')
                .whereRef('o.customer_id', '=', 'r.customer_id')
                .whereRef('o.project_id', '<>', 'r.project_id'),
            ),
          ),
        )
        .select((e) => e.fn.countAll<number>().as('n'))
        .as('only_here'),
      activeKeys(eb),
    ])
    .where('p.account_id', '=', accountId)
    .where('p.id', '=', projectId)
    .executeTakeFirst()
}

// Racing ingest (src/projects/delete-races.pg.test.ts). Read from one statement's snapshot, the
// orphan check missed a relation that an identify through another project's key committed
// meanwhile (acknowledged, then deleted with the customer); an ingest that had read the deleted
// project's key before the delete failed its relation's foreign key (a 500); and the delete,
// locking customers in its own order, deadlocked with ingest. So the delete first waits for every
// write in flight to customers and their relations to end, and holds new ones off until it
// commits (SHARE ROW EXCLUSIVE: reads go on; it conflicts with itself, so two deletes queue), then
// acts on a snapshot no write can change. An ingest statement takes its table locks before any
// row lock, so it never holds a row this delete waits for. A write held off runs after the
// commit: the deleted project's key is then unknown (401); another project's write finds or makes
// its customer. A merge, an undo or an erase holding customer rows (FOR UPDATE does not conflict
// with this lock) may deadlock with it: Postgres aborts one, and runInTransaction runs it again.
// The cost: every account's customer writes pause while a project's delete statement runs (on
// the test server 1.0 s for a project of 5,000 customers, 4.1 s for 20,000; SECURITY.md).
const HOLD_OFF_WRITES = sql`LOCK TABLE customers, customer_projects IN SHARE ROW EXCLUSIVE MODE`

/**
 * Deletes a project of the account: its keys and per-project customer data go with it (ON DELETE
 * CASCADE), and so do customers who were only in this project — a customer with no project left
 * would be a row without a badge that no key can reach again — and the merges that name them or
 * the customers merged into them, whose snapshots hold their data (as an erasure deletes them;
 * those customers' tombstones go by ON DELETE CASCADE). One transaction: the lock above, then one
 * statement.
 */
export async function deleteProject(
  db: Kysely<Database>,
  accountId: number,
  projectId: number,
): Promise<{ removedCustomers: number } | undefined> {
  const remove = sql`
WITH target AS (
  SELECT id FROM projects WHERE account_id = ${accountId} AND id = ${projectId}
), orphans AS (
  DELETE FROM customers c
  WHERE c.account_id = ${accountId}
    AND c.id IN (SELECT r.customer_id FROM customer_projects r WHERE r.project_id IN (SELECT id FROM target))
    AND NOT EXISTS (
      SELECT 1 FROM customer_projects o
      WHERE o.customer_id = c.id AND o.project_id NOT IN (SELECT id FROM target))
  RETURNING c.id
), merges_gone AS (
  DELETE FROM merges m USING customers t WHERE m.account_id = ${accountId}
    AND t.id IN (m.survivor_id, m.absorbed_id) AND COALESCE(t.merged_into, t.id) IN (SELECT id FROM orphans)
), deleted AS (
  DELETE FROM projects WHERE id IN (SELECT id FROM target) RETURNING id
)
SELECT (SELECT count(*) FROM deleted)::int AS deleted, (SELECT count(*) FROM orphans)::int AS removed
`
  const [, result] = await runInTransaction(db, [HOLD_OFF_WRITES.compile(db), remove.compile(db)])
  const row = result!.rows[0] as { deleted: number; removed: number } | undefined
  if (!row || row.deleted === 0) return undefined
  return { removedCustomers: row.removed }
}
