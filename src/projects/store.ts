// A project is one of the account's products: its name, slug (stable: filters and scripts use it)
// and badge colour. Every function takes the account id and touches nothing of another account,
// so a guessed project id answers "not found". Keys are ./keys.ts, colours ./colors.ts, deletion
// ./delete.ts.
import { sql, type Kysely } from 'kysely'
import type { Database, Project } from '../db/schema.js'
import { ApiError } from '../lib/errors.js'
import { defaultColor, validateColor } from './colors.js'
import { activeKeys, customerCount } from './counts.js'
import { generateProjectKey, hashKey, keyPrefix } from '../lib/keys.js'
import type { ProjectKey } from './keys.js'
import { addReadyViews } from '../saved-views/store.js'

export const MAX_PROJECT_NAME = 80

/** The one project-name rule: 1 to 80 characters once trimmed. */
export function validateProjectName(input: string): string {
  const name = input.trim()
  if (!name || name.length > MAX_PROJECT_NAME) {
    throw new ApiError(
      'validation_failed',
      `The project name must be 1 to ${MAX_PROJECT_NAME} characters.`,
      [{ path: 'name', message: `1 to ${MAX_PROJECT_NAME} characters` }],
    )
  }
  return name
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

/** Creates a project and its first key; the key is returned in full this once only. */
export async function createProject(
  db: Kysely<Database>,
  input: { accountId: number; name: string; color?: string },
): Promise<{ project: Project; key: string }> {
  const name = validateProjectName(input.name)
  const existing = await db
    .selectFrom('projects')
    .select(['slug'])
    .where('account_id', '=', input.accountId)
    .execute()
  const taken = new Set(existing.map((p) => p.slug))
  const base = slugify(name)
  let slug = base
  for (let n = 2; taken.has(slug); n++) slug = `${base}-${n}`
  const color =
    input.color === undefined ? defaultColor(existing.length) : validateColor(input.color)
  const created = await insertProjectWithKey(db, { accountId: input.accountId, name, slug, color })
  return created!
}

/**
 * The account's project with the slug this name makes, created with its first key only when the
 * account has none (`project create --if-missing`, safe to re-run in a setup script). Run twice
 * at the same instant, the unique (account, slug) lets one insert and the other finds that one.
 */
export async function ensureProject(
  db: Kysely<Database>,
  input: { accountId: number; name: string; color?: string },
): Promise<{ project: Project; key: string | null }> {
  const name = validateProjectName(input.name)
  const slug = slugify(name)
  const color = input.color === undefined ? undefined : validateColor(input.color)
  const created = await insertProjectWithKey(
    db,
    { accountId: input.accountId, name, slug, color },
    { ifMissing: true },
  )
  if (created) return created
  const project = await db
    .selectFrom('projects')
    .selectAll()
    .where('account_id', '=', input.accountId)
    .where('slug', '=', slug)
    .executeTakeFirstOrThrow()
  return { project, key: null }
}

/** One statement: the project and its first key exist together or not at all. With ifMissing, a
 *  taken slug inserts nothing (and undefined comes back) instead of failing. */
async function insertProjectWithKey(
  db: Kysely<Database>,
  row: { accountId: number; name: string; slug: string; color?: string },
  opts: { ifMissing?: boolean } = {},
): Promise<{ project: Project; key: string } | undefined> {
  const key = generateProjectKey()
  const keyHash = await hashKey(key)
  const color =
    row.color ??
    defaultColor(
      Number(
        (
          await db
            .selectFrom('projects')
            .select((eb) => eb.fn.countAll<number>().as('n'))
            .where('account_id', '=', row.accountId)
            .executeTakeFirstOrThrow()
        ).n,
      ),
    )
  const project = await db
    .with('project', (q) => {
      const insert = q
        .insertInto('projects')
        .values({ account_id: row.accountId, name: row.name, slug: row.slug, color })
      return (
        opts.ifMissing
          ? insert.onConflict((oc) => oc.columns(['account_id', 'slug']).doNothing())
          : insert
      ).returningAll()
    })
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
    .executeTakeFirst()
  if (!project) return undefined
  // From the second project on, the account gets the README's questions as ready views (once).
  // Asked after every create, not only when `existing` had one: two projects created at once
  // both read an empty account, and the later check still sees both.
  await addReadyViews(db, row.accountId, { once: true })
  return { project, key }
}

/** The account's projects with their active key count, oldest first: the query, to extend. */
function projectsQuery(db: Kysely<Database>, accountId: number) {
  return db
    .selectFrom('projects as p')
    .select((eb) => ['p.id', 'p.name', 'p.slug', 'p.color', 'p.created_at', activeKeys(eb)])
    .where('p.account_id', '=', accountId)
    .orderBy('p.created_at')
    .orderBy('p.id')
}

/** The projects of the account (id, name, slug, colour, created, active keys), oldest first: the
 *  one list every page, the account API and the CLI show. */
export async function listProjects(db: Kysely<Database>, accountId: number) {
  return projectsQuery(db, accountId).execute()
}

/** Project names compare without case or surrounding spaces: two such badges on a customer's row
 *  would be impossible to tell apart. */
export const sameProjectName = (a: string, b: string) =>
  a.trim().toLowerCase() === b.trim().toLowerCase()

/** Another project of the account with the same name as `name` (see sameProjectName), if any. */
export async function projectNamedLike(
  db: Kysely<Database>,
  accountId: number,
  name: string,
  exceptId?: number,
) {
  if (!name.trim()) return undefined
  const projects = await listProjects(db, accountId)
  return projects.find((p) => p.id !== exceptId && sameProjectName(p.name, name))
}

/** Projects of the account with their active key and customer counts, oldest first. */
export async function listProjectsWithCounts(db: Kysely<Database>, accountId: number) {
  return projectsQuery(db, accountId).select(customerCount).execute()
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

/** One project of the account and all its keys (newest first): a query, to extend (the project
 *  page adds its billing connections, so the page stays one statement). */
export function projectWithKeysQuery(db: Kysely<Database>, accountId: number, projectId: number) {
  return db
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
}

/** A row of projectWithKeysQuery as the project and its keys. */
export function projectAndKeys(row: Project & { keys: ProjectKeyJson[] }): {
  project: Project
  keys: ProjectKey[]
} {
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
