// Accounts, their users, projects and project keys: plain functions over the db, shared by the
// CLI and the dashboard.
import type { Kysely } from 'kysely'
import type { Database, Project } from '../db/schema.js'
import { ApiError } from '../lib/errors.js'
import { generateProjectKey, hashKey, keyPrefix } from '../lib/keys.js'
import { hashPassword } from '../lib/password.js'

export const MIN_PASSWORD_LENGTH = 8

export function normaliseEmail(email: string): string {
  return email.trim().toLowerCase()
}

export async function createAccount(
  db: Kysely<Database>,
  input: { email: string; password: string; name?: string },
): Promise<{ accountId: number; userId: number }> {
  const email = normaliseEmail(input.email)
  if (!/^[^\s@]+@[^\s@]+$/.test(email)) {
    throw new ApiError('validation_failed', 'email is not a valid email address', [
      { path: 'email', message: 'not a valid email address' },
    ])
  }
  if (input.password.length < MIN_PASSWORD_LENGTH) {
    throw new ApiError(
      'validation_failed',
      `password must be at least ${MIN_PASSWORD_LENGTH} characters`,
      [{ path: 'password', message: `at least ${MIN_PASSWORD_LENGTH} characters` }],
    )
  }
  const passwordHash = await hashPassword(input.password)
  // One statement: the account and its first user exist together or not at all. A data-modifying
  // CTE runs even when the outer insert conflicts, hence the guard against an orphan account.
  const row = await db
    .with('account', (q) =>
      q
        .insertInto('accounts')
        .columns(['name'])
        .expression(
          q
            .selectNoFrom((eb) => eb.val(input.name ?? email).as('name'))
            .where((eb) =>
              eb.not(eb.exists(q.selectFrom('users').select('id').where('email', '=', email))),
            ),
        )
        .returning('id'),
    )
    .insertInto('users')
    .columns(['account_id', 'email', 'password_hash'])
    .expression((eb) =>
      eb
        .selectFrom('account')
        .select([
          'account.id',
          eb.val(email).as('email'),
          eb.val(passwordHash).as('password_hash'),
        ]),
    )
    .onConflict((oc) => oc.column('email').doNothing())
    .returning(['id', 'account_id'])
    .executeTakeFirst()
  if (!row) {
    throw new ApiError('validation_failed', `An account with the email ${email} already exists`, [
      { path: 'email', message: 'already registered' },
    ])
  }
  return { accountId: row.account_id, userId: row.id }
}

export async function findAccountIdByUserEmail(db: Kysely<Database>, email: string) {
  const row = await db
    .selectFrom('users')
    .select('account_id')
    .where('email', '=', normaliseEmail(email))
    .executeTakeFirst()
  return row?.account_id
}

export function slugify(name: string): string {
  const slug = name
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 40)
  return slug || 'project'
}

export const DEFAULT_COLORS = [
  '#4f46e5',
  '#0f766e',
  '#b45309',
  '#be123c',
  '#7c3aed',
  '#15803d',
  '#0369a1',
]

/** Creates a project and its first key; the key is returned in full this once only. */
export async function createProject(
  db: Kysely<Database>,
  input: { accountId: number; name: string; color?: string },
): Promise<{ project: Project; key: string }> {
  const name = input.name.trim()
  if (!name || name.length > 80) {
    throw new ApiError('validation_failed', 'name must be 1 to 80 characters', [
      { path: 'name', message: '1 to 80 characters' },
    ])
  }
  const existing = await db
    .selectFrom('projects')
    .select(['slug'])
    .where('account_id', '=', input.accountId)
    .execute()
  const taken = new Set(existing.map((p) => p.slug))
  const base = slugify(name)
  let slug = base
  for (let n = 2; taken.has(slug); n++) slug = `${base}-${n}`
  const color = input.color ?? DEFAULT_COLORS[existing.length % DEFAULT_COLORS.length]!
  const key = generateProjectKey()
  const keyHash = await hashKey(key)
  const project = await db
    .with('project', (q) =>
      q
        .insertInto('projects')
        .values({ account_id: input.accountId, name, slug, color })
        .returningAll(),
    )
    .with('key', (q) =>
      q
        .insertInto('api_keys')
        .columns(['project_id', 'prefix', 'key_hash'])
        .expression((eb) =>
          eb
            .selectFrom('project')
            .select([
              'project.id',
              eb.val(keyPrefix(key)).as('prefix'),
              eb.val(keyHash).as('key_hash'),
            ]),
        )
        .returning('id'),
    )
    .selectFrom('project')
    .selectAll()
    .executeTakeFirstOrThrow()
  return { project, key }
}

/** The account's projects with their active key count, oldest first (a query, to extend). */
export function projectsQuery(db: Kysely<Database>, accountId: number) {
  return db
    .selectFrom('projects as p')
    .select((eb) => [
      'p.id',
      'p.name',
      'p.slug',
      'p.color',
      'p.created_at',
      eb
        .selectFrom('api_keys as k')
        .whereRef('k.project_id', '=', 'p.id')
        .where('k.revoked_at', 'is', null)
        .select((e) => e.fn.countAll<number>().as('n'))
        .as('active_keys'),
    ])
    .where('p.account_id', '=', accountId)
    .orderBy('p.created_at')
    .orderBy('p.id')
}

export async function listProjects(db: Kysely<Database>, accountId: number) {
  return projectsQuery(db, accountId).execute()
}

export async function listKeys(db: Kysely<Database>, projectId: number) {
  return db
    .selectFrom('api_keys')
    .select(['id', 'prefix', 'created_at', 'revoked_at'])
    .where('project_id', '=', projectId)
    .orderBy('created_at')
    .orderBy('id')
    .execute()
}

/** Revokes the keys that start with `prefix` (at least the clear part shown in listings). */
export async function revokeKeysByPrefix(db: Kysely<Database>, prefix: string, accountId?: number) {
  if (prefix.length < 'tcrm_proj_'.length + 4) {
    throw new ApiError(
      'validation_failed',
      'Give at least the key prefix shown in listings (tcrm_proj_ + 4 or more characters)',
    )
  }
  const cleartext = prefix.slice(0, keyPrefix(prefix).length)
  let q = db
    .updateTable('api_keys')
    .set({ revoked_at: new Date() })
    .where('revoked_at', 'is', null)
    .where('prefix', 'like', `${cleartext.replace(/[\\%_]/g, '\\$&')}%`)
  if (accountId !== undefined) {
    q = q.where('project_id', 'in', (eb) =>
      eb.selectFrom('projects').select('id').where('account_id', '=', accountId),
    )
  }
  const rows = await q.returning(['id', 'prefix', 'project_id']).execute()
  return rows
}

/** One project of the account, by id or by slug (URLs and the CLI accept either). */
export async function findProject(db: Kysely<Database>, accountId: number, idOrSlug: string) {
  const q = db.selectFrom('projects').selectAll().where('account_id', '=', accountId)
  if (!/^\d{1,15}$/.test(idOrSlug)) return q.where('slug', '=', idOrSlug).executeTakeFirst()
  // A project named "2024" has the slug "2024": the id wins, the slug is the fallback.
  const id = Number(idOrSlug)
  return q
    .where((eb) => eb.or([eb('id', '=', id), eb('slug', '=', idOrSlug)]))
    .orderBy((eb) => eb('id', '=', id), 'desc')
    .limit(1)
    .executeTakeFirst()
}
