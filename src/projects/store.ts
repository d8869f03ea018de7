// A project is one of the account's products: its name, slug (stable: filters and scripts use it)
// and badge colour. Every function takes the account id and touches nothing of another account,
// so a guessed project id answers "not found". Keys are ./keys.ts, colours ./colors.ts, deletion
// ./delete.ts.
import { sql, type CompiledQuery, type Kysely, type RawBuilder } from 'kysely'
import type { Database, Project } from '../db/schema.js'
import { ApiError } from '../lib/errors.js'
import { storableText } from '../lib/text.js'
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
  return storableText('name', name)
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

/** How many times a write decides again when the account's projects changed under it. */
const WRITE_ATTEMPTS = 10

/** The account's projects (id, name, slug, in id order) as one text: what a create or a rename
 *  decides from, compared again by its statement. */
const projectSet = (accountId: number) =>
  sql<string>`(SELECT COALESCE(json_agg(json_build_array(id, name, slug) ORDER BY id), '[]')::text
    FROM projects WHERE account_id = ${accountId})`

/** One of the account's projects, as a create or a rename decides from it. */
interface Listed {
  id: number
  name: string
  slug: string
}

/**
 * A write decided from one read of the account's projects: two at once (a double click, a setup
 * script in parallel) must not both take one slug (a 500 on the unique index) nor both pass the
 * name check. `decide` returns the statement (or throws, to refuse; or returns nothing, to write
 * nothing), given the condition "the projects are still as read" for its WHERE. It runs in one
 * transaction after the account row's lock (NO KEY UPDATE: these writes queue there, ingest's
 * foreign keys do not); when it wrote nothing because the projects changed, the read and the
 * decision are made again. Returns the statement's first row.
 */
async function writeAsRead(
  db: Kysely<Database>,
  accountId: number,
  decide: (projects: Listed[], unchanged: RawBuilder<boolean>) => CompiledQuery | undefined,
): Promise<Record<string, unknown> | undefined> {
  for (let attempt = 0; attempt < WRITE_ATTEMPTS; attempt++) {
    const { rows } = await sql<{ seen: string }>`SELECT ${projectSet(accountId)} AS seen`.execute(
      db,
    )
    const seen = rows[0]!.seen
    const projects = (JSON.parse(seen) as [number, string, string][]).map(([id, name, slug]) => ({
      id,
      name,
      slug,
    }))
    const write = decide(projects, sql<boolean>`${projectSet(accountId)} = ${seen}`)
    if (!write) return undefined
    const [, done] = await runInTransaction(db, [
      sql`SELECT id FROM accounts WHERE id = ${accountId} FOR NO KEY UPDATE`.compile(db),
      write,
    ])
    const row = done!.rows[0]
    if (row) return row
  }
  throw new ApiError(
    'unavailable',
    "This account's projects were being changed faster than this change could be made: try again.",
  )
}

/** Another of `projects` than `exceptId` with the same name (see sameProjectName), refused. */
function refuseTakenName(projects: Listed[], name: string, exceptId?: number) {
  const other = projects.find((p) => p.id !== exceptId && sameProjectName(p.name, name))
  if (other) throw new ProjectNameTaken(other)
}

/**
 * Creates a project and its first key; the key is returned in full this once only. Unless
 * `duplicate`, a name the account already has is refused (ProjectNameTaken); the slug is the
 * name's, numbered past the taken ones (app-a-2), and the colour the palette's next: all decided
 * and written as one (writeAsRead).
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
  const project = (await writeAsRead(db, accountId, (projects, unchanged) => {
    if (!input.duplicate) refuseTakenName(projects, name)
    const taken = new Set(projects.map((p) => p.slug))
    const base = slugify(name)
    let slug = base
    for (let n = 2; taken.has(slug); n++) slug = `${base}-${n}`
    const row = { accountId, name, slug, color: color ?? defaultColor(projects.length) }
    return projectWithKey(db, row, { key, keyHash }, unchanged).compile()
  })) as Project
  await readyViews(db, accountId)
  return { project, key }
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
  if (created) {
    await readyViews(db, accountId)
    return { project: created, key }
  }
  const project = await db
    .selectFrom('projects')
    .selectAll()
    .where('account_id', '=', accountId)
    .where('slug', '=', slug)
    .executeTakeFirstOrThrow()
  return { project, key: null }
}

/** One statement: the project and its first key exist together or not at all. A taken slug inserts
 *  nothing (no row comes back) instead of failing; so does a `when` that does not hold. */
function projectWithKey(
  db: Kysely<Database>,
  row: { accountId: number; name: string; slug: string; color: string },
  { key, keyHash }: { key: string; keyHash: string },
  when: RawBuilder<boolean> = sql<boolean>`true`,
) {
  return db
    .with('project', (q) =>
      q
        .insertInto('projects')
        .columns(['account_id', 'name', 'slug', 'color'])
        .expression(
          q
            .selectNoFrom((eb) => [
              eb.val(row.accountId).as('account_id'),
              eb.val(row.name).as('name'),
              eb.val(row.slug).as('slug'),
              eb.val(row.color).as('color'),
            ])
            .where(when),
        )
        .onConflict((oc) => oc.columns(['account_id', 'slug']).doNothing())
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
}

/** From the second project on, the account gets the README's questions as ready views (once).
 *  Asked after every create, not only when the account had one: two projects created at once
 *  both read an empty account, and the later check still sees both. */
const readyViews = (db: Kysely<Database>, accountId: number) =>
  addReadyViews(db, accountId, { once: true })

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

/** Renames and/or recolours; the slug stays, so scripts and the CLI that use it keep working.
 *  Unless `duplicate`, a name another project of the account has is refused (ProjectNameTaken),
 *  decided and written as one (writeAsRead). False when the account has no such project. */
export async function updateProject(
  db: Kysely<Database>,
  accountId: number,
  projectId: number,
  input: { name?: string; color?: string; duplicate?: boolean },
): Promise<boolean> {
  const set: { name?: string; color?: string } = {}
  if (input.name !== undefined) set.name = validateProjectName(input.name)
  if (input.color !== undefined) set.color = validateColor(input.color)
  const update = (when: RawBuilder<boolean>) =>
    db
      .updateTable('projects')
      .set(set)
      .where('account_id', '=', accountId)
      .where('id', '=', projectId)
      .where(when)
      .returning('id')
  if (!set.name && !set.color) return true
  if (set.name === undefined || input.duplicate) {
    return (await update(sql<boolean>`true`).executeTakeFirst()) !== undefined
  }
  const name = set.name
  const updated = await writeAsRead(db, accountId, (projects, unchanged) => {
    if (!projects.some((p) => p.id === projectId)) return undefined
    refuseTakenName(projects, name, projectId)
    return update(unchanged).compile()
  })
  return updated !== undefined
}
