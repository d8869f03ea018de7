// One customer of the account: the customer page's data (every project relation), its name, and
// the lookups the merge pages and the account API make by id or email. Every function is scoped to
// the account: another account's customer is "not found".
import { sql, type Kysely } from 'kysely'
import type { Database } from '../db/schema.js'
import { parseRelations, type ProjectInfo, type RawRelation, type Relation } from './query.js'

type Db = Kysely<Database>

export interface CustomerDetail {
  id: number
  email: string
  name: string | null
  createdAt: Date
  lastActivityAt: Date
  relations: (Relation & { project: ProjectInfo })[]
}

/** One customer of the account with every project relation (one statement); undefined when the id
 *  is not a customer of this account. */
export async function getCustomer(
  db: Db,
  accountId: number,
  customerId: number,
  onlyProjectId?: number,
): Promise<CustomerDetail | undefined> {
  const only = onlyProjectId === undefined ? sql`` : sql` AND r.project_id = ${onlyProjectId}`
  const { rows } = await sql<{
    id: number
    email: string
    name: string | null
    created_at: Date | string
    last_activity_at: Date | string
    relations: (RawRelation & { project: ProjectInfo })[]
  }>`
SELECT c.id, c.email, c.name, c.created_at, c.last_activity_at,
  COALESCE((
    SELECT json_agg(json_build_object('projectId', r.project_id, 'status', r.status,
      'params', r.params, 'firstSeenAt', r.first_seen_at, 'lastActivityAt', r.last_activity_at,
      'project', json_build_object('id', p.id, 'name', p.name, 'slug', p.slug, 'color', p.color))
      ORDER BY p.created_at, p.id)
    FROM customer_projects r JOIN projects p ON p.id = r.project_id
    WHERE r.customer_id = c.id${only}), '[]') AS relations
FROM customers c
WHERE c.account_id = ${accountId} AND c.id = ${customerId} AND c.merged_into IS NULL`.execute(db)
  const row = rows[0]
  if (!row) return undefined
  const raw = row.relations
  const relations = parseRelations(raw).map((r, i) => ({
    ...r,
    project: { ...raw[i]!.project, id: Number(raw[i]!.project.id) },
  }))
  return {
    id: row.id,
    email: row.email,
    name: row.name,
    createdAt: new Date(row.created_at),
    lastActivityAt: new Date(row.last_activity_at),
    relations,
  }
}

/** Sets a customer's name (empty clears it); false when the id is not this account's customer. */
export async function renameCustomer(
  db: Db,
  accountId: number,
  customerId: number,
  name: string | null,
) {
  const row = await db
    .updateTable('customers')
    .set({ name: name?.trim() || null, updated_at: new Date() })
    .where('account_id', '=', accountId)
    .where('id', '=', customerId)
    // A customer merged into another is a hidden tombstone: a name written there was lost.
    .where('merged_into', 'is', null)
    .returning('id')
    .executeTakeFirst()
  return row !== undefined
}

/** A customer of the account by id or by (normalised) email: id, email and name. */
export async function findCustomer(
  db: Db,
  accountId: number,
  where: { id: number } | { email: string },
) {
  let q = db
    .selectFrom('customers')
    .select(['id', 'email', 'name'])
    .where('account_id', '=', accountId)
    .where('merged_into', 'is', null) // merged customers stay as tombstones
  q = 'id' in where ? q.where('id', '=', where.id) : q.where('email', '=', where.email)
  return q.executeTakeFirst()
}

/** The live customer a merged customer (a tombstone, by its email or its id) now leads to;
 *  undefined when it is no merged customer of the account. One step: a merge moves the absorbed
 *  customer's own aliases onto the survivor (src/merges/merge-sql.ts), so no chain is longer. */
export async function survivorOf(
  db: Db,
  accountId: number,
  merged: { email: string } | { id: number },
) {
  const q = db
    .selectFrom('customers as t')
    .innerJoin('customers as s', 's.id', 't.merged_into')
    .select(['s.id', 's.email', 's.name'])
    .where('t.account_id', '=', accountId)
    .where('s.merged_into', 'is', null)
  return (
    'id' in merged ? q.where('t.id', '=', merged.id) : q.where('t.email', '=', merged.email)
  ).executeTakeFirst()
}

/** The emails merged into a customer, which now route to it (their rows stay as tombstones). */
export async function listAliases(db: Db, accountId: number, customerId: number) {
  const rows = await db
    .selectFrom('customers')
    .select('email')
    .where('account_id', '=', accountId)
    .where('merged_into', '=', customerId)
    .orderBy('email')
    .execute()
  return rows.map((r) => r.email)
}
