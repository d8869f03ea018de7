// Project administration scoped to an account (the dashboard's projects pages; the CLI may share
// it): every function takes the account id and touches nothing of another account, so a guessed
// project or key id answers "not found". Creation and listing live in ./store.ts.
import { sql, type Kysely } from 'kysely'
import type { Database, Project } from '../db/schema.js'
import { normaliseColor } from '../dashboard/colors.js'
import { ApiError } from '../lib/errors.js'
import { projectsQuery } from './store.js'
import { generateProjectKey, hashKey, keyPrefix } from '../lib/keys.js'

export interface ProjectKey {
  id: number
  prefix: string
  created_at: Date
  revoked_at: Date | null
}

export function validateProjectName(input: string): string {
  const name = input.trim()
  if (!name || name.length > 80) {
    throw new ApiError('validation_failed', 'The name must be 1 to 80 characters.', [
      { path: 'name', message: '1 to 80 characters' },
    ])
  }
  return name
}

export function validateColor(input: string): string {
  const color = normaliseColor(input)
  if (!color) {
    throw new ApiError('validation_failed', 'The colour must look like #4f46e5.', [
      { path: 'color', message: 'a #rrggbb colour' },
    ])
  }
  return color
}

/** Projects of the account with their active key and customer counts, oldest first. */
export async function listProjectsWithCounts(db: Kysely<Database>, accountId: number) {
  return projectsQuery(db, accountId)
    .select((eb) =>
      eb
        .selectFrom('customer_projects as r')
        .whereRef('r.project_id', '=', 'p.id')
        .select((e) => e.fn.countAll<number>().as('n'))
        .as('customers'),
    )
    .execute()
}

/** One project of the account and all its keys (newest first), in one statement. */
export async function getProjectWithKeys(
  db: Kysely<Database>,
  accountId: number,
  projectId: number,
): Promise<{ project: Project; keys: ProjectKey[] } | undefined> {
  const row = await db
    .selectFrom('projects as p')
    .selectAll('p')
    .select(
      sql<ProjectKeyJson[]>`coalesce((
        SELECT json_agg(json_build_object('id', k.id, 'prefix', k.prefix,
          'created_at', k.created_at, 'revoked_at', k.revoked_at) ORDER BY k.created_at DESC, k.id DESC)
        FROM api_keys k WHERE k.project_id = p.id), '[]'::json)`.as('keys'),
    )
    .where('p.account_id', '=', accountId)
    .where('p.id', '=', projectId)
    .executeTakeFirst()
  if (!row) return undefined
  const { keys, ...project } = row
  return {
    project,
    keys: keys.map((k) => ({
      id: Number(k.id),
      prefix: k.prefix,
      created_at: new Date(k.created_at),
      revoked_at: k.revoked_at ? new Date(k.revoked_at) : null,
    })),
  }
}
type ProjectKeyJson = {
  id: number | string
  prefix: string
  created_at: string
  revoked_at: string | null
}

/** Renames and/or recolours; the slug stays, so scripts and the CLI that use it keep working. */
export async function updateProject(
  db: Kysely<Database>,
  accountId: number,
  projectId: number,
  input: { name?: string; color?: string },
): Promise<boolean> {
  const set: { name?: string; color?: string } = {}
  if (input.name !== undefined) set.name = validateProjectName(input.name)
  if (input.color !== undefined) set.color = validateColor(input.color)
  if (!set.name && !set.color) return true
  const res = await db
    .updateTable('projects')
    .set(set)
    .where('account_id', '=', accountId)
    .where('id', '=', projectId)
    .executeTakeFirst()
  return res.numUpdatedRows > 0n
}

/**
 * Adds a key to a project of the account and returns it in full (the only time it is seen), or
 * undefined when the project is not the account's. With `revokeOthers` (rotation) every older
 * key stops working in the same statement.
 */
export async function addProjectKey(
  db: Kysely<Database>,
  accountId: number,
  projectId: number,
  opts: { revokeOthers: boolean },
): Promise<string | undefined> {
  const key = generateProjectKey()
  const keyHash = await hashKey(key)
  const owned = db
    .selectFrom('projects')
    .select('id')
    .where('account_id', '=', accountId)
    .where('id', '=', projectId)
  const withInsert = db.with('new_key', (q) =>
    q
      .insertInto('api_keys')
      .columns(['project_id', 'prefix', 'key_hash'])
      .expression(
        owned.select((eb) => [eb.val(keyPrefix(key)).as('prefix'), eb.val(keyHash).as('key_hash')]),
      )
      .returning('id'),
  )
  const inserted = opts.revokeOthers
    ? await withInsert
        .with('revoked', (q) =>
          q
            .updateTable('api_keys')
            .set({ revoked_at: new Date() })
            .where('project_id', 'in', owned)
            .where('revoked_at', 'is', null)
            .returning('id'),
        )
        .selectFrom('new_key')
        .select('id')
        .executeTakeFirst()
    : await withInsert.selectFrom('new_key').select('id').executeTakeFirst()
  return inserted ? key : undefined
}

/** Revokes one key of one of the account's projects; false when there is no such key. */
export async function revokeProjectKey(
  db: Kysely<Database>,
  accountId: number,
  projectId: number,
  keyId: number,
): Promise<boolean> {
  const res = await db
    .updateTable('api_keys')
    .set({ revoked_at: sql`coalesce(revoked_at, now())` })
    .where('id', '=', keyId)
    .where('project_id', 'in', (eb) =>
      eb
        .selectFrom('projects')
        .select('id')
        .where('account_id', '=', accountId)
        .where('id', '=', projectId),
    )
    .executeTakeFirst()
  return res.numUpdatedRows > 0n
}

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
      eb
        .selectFrom('customer_projects as r')
        .whereRef('r.project_id', '=', 'p.id')
        .select((e) => e.fn.countAll<number>().as('n'))
        .as('customers'),
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
      eb
        .selectFrom('api_keys as k')
        .whereRef('k.project_id', '=', 'p.id')
        .where('k.revoked_at', 'is', null)
        .select((e) => e.fn.countAll<number>().as('n'))
        .as('active_keys'),
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
