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
import { runInTransaction } from '../db/transaction.js'

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

/** A create refused because the account has a project of that name (see sameProjectName): the
 *  API answers it as a 409 naming that project, the dashboard as a warning that asks once more. */
export class ProjectNameTaken extends ApiError {
  constructor(readonly other: { name: string; slug: string }) {
    super(
      'conflict',
      `You already have a project named "${other.name}" (slug ${other.slug}). Send "duplicate": true to create another.`,
      [{ path: 'name', message: 'already a project of this account' }],
    )
  }
}

/** How many times a create decides again when the account's projects changed under it. */
const CREATE_ATTEMPTS = 10

/** The account's projects (id, name, slug, in id order) as one text: what a create decides from,
 *  compared again by its insert. */
const projectSet = (accountId: number) =>
  sql<string>`(SELECT COALESCE(json_agg(json_build_array(id, name, slug) ORDER BY id), '[]')::text
    FROM projects WHERE account_id = ${accountId})`

/**
 * Creates a project and its first key; the key is returned in full this once only. Unless
 * `duplicate`, a name the account already has is refused (ProjectNameTaken); the slug is the
 * name's, numbered past the taken ones (app-a-2), and the colour the palette's next.
 *
 * Two creates at once (a double click, a setup script in parallel) must not both take one slug
 * (a 500 on the unique index) nor both pass the name check. So the decision is made from one read
 * of the account's projects, and the insert runs in a transaction after the account row's lock
 * (NO KEY UPDATE: creates queue there, ingest's foreign keys do not) only if the projects are
 * still what was read; when they changed, the create reads and decides again.
 */
export async function createProject(
  db: Kysely<Database>,
  input: { accountId: number; name: string; color?: string; duplicate?: boolean },
): Promise<{ project: Project; key: string }> {
  const { accountId } = input
  const name = validateProjectName(input.name)
  const color = input.color === undefined ? undefined : validateColor(input.color)
  const key = generateProjectKey()
  const keyHash = await hashKey(key)
  for (let attempt = 0; attempt < CREATE_ATTEMPTS; attempt++) {
    const { rows } = await sql<{
      projects: string
    }>`SELECT ${projectSet(accountId)} AS projects`.execute(db)
    const seen = rows[0]!.projects
    const existing = JSON.parse(seen) as [number, string, string][]
    const same = input.duplicate ? undefined : existing.find(([, n]) => sameProjectName(n, name))
    if (same) throw new ProjectNameTaken({ name: same[1], slug: same[2] })
    const taken = new Set(existing.map(([, , slug]) => slug))
    const base = slugify(name)
    let slug = base
    for (let n = 2; taken.has(slug); n++) slug = `${base}-${n}`
    const row = { accountId, name, slug, color: color ?? defaultColor(existing.length) }
    const [, inserted] = await runInTransaction(db, [
      sql`SELECT id FROM accounts WHERE id = ${accountId} FOR NO KEY UPDATE`.compile(db),
      projectWithKey(db, row, { key, keyHash }, { unless: seen }).compile(),
    ])
    const project = inserted!.rows[0] as Project | undefined
    if (project) return { project, key: await readyViews(db, accountId, key) }
  }
  throw new ApiError(
    'unavailable',
    'Projects of this account were being created faster than this one could be: try again.',
  )
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
  const { accountId } = input
  const key = generateProjectKey()
  const keyHash = await hashKey(key)
  const color =
    input.color === undefined
      ? defaultColor(
          Number(
            (
              await db
                .selectFrom('projects')
                .select((eb) => eb.fn.countAll<number>().as('n'))
                .where('account_id', '=', accountId)
                .executeTakeFirstOrThrow()
            ).n,
          ),
        )
      : validateColor(input.color)
  const created = await projectWithKey(
    db,
    { accountId, name, slug, color },
    { key, keyHash },
  ).executeTakeFirst()
  if (created) return { project: created, key: await readyViews(db, accountId, key) }
  const project = await db
    .selectFrom('projects')
    .selectAll()
    .where('account_id', '=', accountId)
    .where('slug', '=', slug)
    .executeTakeFirstOrThrow()
  return { project, key: null }
}

/** One statement: the project and its first key exist together or not at all. A taken slug inserts
 *  nothing (no row comes back) instead of failing; so does, with `unless`, an account whose
 *  projects (projectSet) are no longer that text. */
function projectWithKey(
  db: Kysely<Database>,
  row: { accountId: number; name: string; slug: string; color: string },
  { key, keyHash }: { key: string; keyHash: string },
  { unless }: { unless?: string } = {},
) {
  const values = { account_id: row.accountId, name: row.name, slug: row.slug, color: row.color }
  return db
    .with('project', (q) => {
      const into = q.insertInto('projects')
      const insert =
        unless === undefined
          ? into.values(values)
          : into
              .columns(['account_id', 'name', 'slug', 'color'])
              .expression(
                q
                  .selectNoFrom((eb) => [
                    eb.val(values.account_id).as('account_id'),
                    eb.val(values.name).as('name'),
                    eb.val(values.slug).as('slug'),
                    eb.val(values.color).as('color'),
                  ])
                  .where(sql<boolean>`${projectSet(row.accountId)} = ${unless}`),
              )
      return insert
        .onConflict((oc) => oc.columns(['account_id', 'slug']).doNothing())
        .returningAll()
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
}

/** From the second project on, the account gets the README's questions as ready views (once).
 *  Asked after every create, not only when the account had one: two projects created at once
 *  both read an empty account, and the later check still sees both. Returns `key`. */
async function readyViews(db: Kysely<Database>, accountId: number, key: string) {
  await addReadyViews(db, accountId, { once: true })
  return key
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
