// Deleting a project: what it takes with it (for the confirmation page), and the deletion itself.
// Both take the account id, so another account's project answers "not found".
import { sql, type Kysely } from 'kysely'
import type { Database } from '../db/schema.js'
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

/**
 * Deletes a project of the account in one statement: its keys and per-project customer data go
 * with it (ON DELETE CASCADE), and so do customers who were only in this project — a customer
 * with no project left would be a row without a badge that no key can reach again.
 */
export async function deleteProject(
  db: Kysely<Database>,
  accountId: number,
  projectId: number,
): Promise<{ removedCustomers: number } | undefined> {
  const { rows } = await sql<{ deleted: number; removed: number }>`
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
    ), deleted AS (
      DELETE FROM projects WHERE id IN (SELECT id FROM target) RETURNING id
    )
    SELECT (SELECT count(*) FROM deleted)::int AS deleted, (SELECT count(*) FROM orphans)::int AS removed
  `.execute(db)
  const row = rows[0]
  if (!row || row.deleted === 0) return undefined
  return { removedCustomers: row.removed }
}
