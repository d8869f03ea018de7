// Saved views: named customers filters of an account, in the order its rail shows them. A view is
// its URL query, checked by the one filter parser and written as the table writes its URLs, so
// opening a view is opening /customers?<query>. Every function is scoped to the account: another
// account's view is "not found". The ready views (./ready.ts) are added once an account has two
// projects. Their order in the rail is ./order.ts; their live counts, ./counts.ts.
import { sql, type Kysely } from 'kysely'
import type { Database } from '../db/schema.js'
import { retryTransient } from '../db/retry.js'
import { ApiError, type ErrorDetail } from '../lib/errors.js'
import { storableText } from '../lib/text.js'
import { checkFilterProjects, parseCustomerFilter } from '../customers/filter.js'
import { canonicalQuery, queryString } from '../customers/filter-syntax.js'
import { readyViews } from './ready.js'

type Db = Kysely<Database>
const UNIQUE_VIOLATION = '23505'

export const MAX_VIEWS = 100
export const MAX_VIEW_NAME = 80

export interface SavedView {
  id: number
  name: string
  /** The filter as a URL query, without the `?`: `in=app-a:paid&sort=email`. */
  query: string
  position: number
}

export const invalid = (details: ErrorDetail[]) =>
  new ApiError(
    'validation_failed',
    details.map((d) => `${d.path}: ${d.message}`).join('; '),
    details,
  )

/** The one rule for a view's name: 1 to 80 characters once trimmed. */
export function viewName(input: unknown): string {
  const name = typeof input === 'string' ? input.trim() : ''
  if (!name || name.length > MAX_VIEW_NAME) {
    throw invalid([{ path: 'name', message: `1 to ${MAX_VIEW_NAME} characters` }])
  }
  return storableText('name', name)
}

/** The page's place and view state are not part of a view. */
const NOT_IN_A_VIEW = ['after', 'before', 'open']

/** A view's query as the table writes it (`?` and `/customers?` accepted in front), checked by the
 *  filter parser against the account's project slugs; each mistake named as `query.<parameter>`. */
export function viewQuery(input: unknown, slugs: string[]): string {
  if (typeof input !== 'string') throw invalid([{ path: 'query', message: 'a URL query string' }])
  const raw = input
    .trim()
    .replace(/^\/customers/, '')
    .replace(/^\?/, '')
  const query = canonicalQuery(new URLSearchParams(raw))
  const cursor = NOT_IN_A_VIEW.find((k) => query.has(k))
  if (cursor) {
    throw invalid([{ path: `query.${cursor}`, message: 'the page or panel is not part of a view' }])
  }
  try {
    checkFilterProjects(parseCustomerFilter(query), slugs)
  } catch (err) {
    if (!(err instanceof ApiError) || !err.details) throw err
    throw invalid(err.details.map((d) => ({ path: `query.${d.path}`, message: d.message })))
  }
  return queryString(query)
}

const projectSlugs = async (db: Db, accountId: number) =>
  (
    await db.selectFrom('projects').select('slug').where('account_id', '=', accountId).execute()
  ).map((p) => p.slug)

const viewColumns = ['id', 'name', 'query', 'position'] as const
const asView = (r: { id: number; name: string; query: string; position: number }): SavedView => ({
  id: Number(r.id),
  name: r.name,
  query: r.query,
  position: Number(r.position),
})

/** The account's views in rail order. */
export async function listViews(db: Db, accountId: number): Promise<SavedView[]> {
  const rows = await db
    .selectFrom('saved_views')
    .select(viewColumns)
    .where('account_id', '=', accountId)
    .orderBy('position')
    .orderBy('id')
    .execute()
  return rows.map(asView)
}

/** The account's views and its projects' slugs, in one statement: what the rail needs to count
 *  them (a view naming a project that is gone gets no count but a reason). */
export async function listViewsWithSlugs(db: Db, accountId: number) {
  const { rows } = await sql<{ views: SavedView[]; slugs: string[] }>`
SELECT
  COALESCE((SELECT json_agg(json_build_object('id', v.id, 'name', v.name, 'query', v.query,
    'position', v.position) ORDER BY v.position, v.id)
    FROM saved_views v WHERE v.account_id = ${accountId}), '[]') AS views,
  COALESCE((SELECT json_agg(p.slug ORDER BY p.created_at, p.id)
    FROM projects p WHERE p.account_id = ${accountId}), '[]') AS slugs`.execute(db)
  const row = rows[0]!
  return { views: row.views.map(asView), slugs: row.slugs }
}

const POSITION_KEY = 'saved_views_account_position_key'

/** Runs a write again (a fresh read of the positions) when a concurrent write took the same place
 *  in the rail (the deferred unique key on (account, position) is what notices) or deadlocked: two
 *  single-statement writes that update the same rows in another order (a reorder and a move) can
 *  deadlock, and Postgres rolls one back whole. */
export function retryOnPositionClash<T>(write: () => Promise<T>): Promise<T> {
  return retryTransient(write, {
    alsoRetry: (err) => {
      const e = err as { code?: unknown; constraint?: unknown; message?: unknown }
      return (
        e.code === UNIQUE_VIOLATION &&
        (e.constraint === POSITION_KEY || String(e.message).includes(POSITION_KEY))
      )
    },
  })
}

const nameTaken = (name: string) =>
  invalid([{ path: 'name', message: `you already have a view named '${name}'` }])

/** A new view at the end of the rail. Refuses a name the account already uses (any case), a
 *  filter the parser refuses, and a 101st view. */
export async function createView(
  db: Db,
  accountId: number,
  input: { name: unknown; query: unknown },
): Promise<SavedView> {
  const name = viewName(input.name)
  const query = viewQuery(input.query, await projectSlugs(db, accountId))
  const { rows } = await retryOnPositionClash(() =>
    sql<SavedView>`
INSERT INTO saved_views (account_id, name, query, position)
SELECT ${accountId}, ${name}, ${query}, COALESCE(max(position), 0) + 1
FROM saved_views WHERE account_id = ${accountId}
HAVING count(*) < ${MAX_VIEWS}
ON CONFLICT (account_id, lower(name)) DO NOTHING
RETURNING id, name, query, position`.execute(db),
  )
  if (rows[0]) return asView(rows[0])
  const views = await listViews(db, accountId)
  if (views.length >= MAX_VIEWS) {
    throw invalid([{ path: 'name', message: `at most ${MAX_VIEWS} views: delete one first` }])
  }
  throw nameTaken(name)
}

export const noView = () => new ApiError('not_found', 'No such saved view in your account')

/** Renames a view and/or gives it another filter. */
export async function updateView(
  db: Db,
  accountId: number,
  viewId: number,
  input: { name?: unknown; query?: unknown },
): Promise<SavedView> {
  const set: { name?: string; query?: string } = {}
  if (input.name !== undefined) set.name = viewName(input.name)
  if (input.query !== undefined)
    set.query = viewQuery(input.query, await projectSlugs(db, accountId))
  try {
    const row = await db
      .updateTable('saved_views')
      .set({ ...set, updated_at: new Date() })
      .where('account_id', '=', accountId)
      .where('id', '=', viewId)
      .returning(viewColumns)
      .executeTakeFirst()
    if (!row) throw noView()
    return asView(row)
  } catch (err) {
    if ((err as { code?: unknown }).code === UNIQUE_VIOLATION) throw nameTaken(set.name ?? '')
    throw err
  }
}

export async function deleteView(db: Db, accountId: number, viewId: number): Promise<void> {
  const row = await db
    .deleteFrom('saved_views')
    .where('account_id', '=', accountId)
    .where('id', '=', viewId)
    .returning('id')
    .executeTakeFirst()
  if (!row) throw noView()
}

/**
 * Adds the ready views (./ready.ts) with the account's first two projects, after its own views;
 * a name the account already uses is skipped. `once`: only if they were never added (the
 * account's second project calls it on creation; the UPDATE's row lock makes a race add them
 * once). Returns how many were added: 0 with fewer than two projects.
 */
export async function addReadyViews(
  db: Db,
  accountId: number,
  opts: { once?: boolean } = {},
): Promise<number> {
  const projects = await db
    .selectFrom('projects')
    .select(['slug', 'name'])
    .where('account_id', '=', accountId)
    .orderBy('created_at')
    .orderBy('id')
    .limit(2)
    .execute()
  if (projects.length < 2) return 0
  const views = readyViews(projects[0]!, projects[1]!)
  const { rows } = await retryOnPositionClash(() =>
    sql<{ id: number }>`
WITH claim AS (
  UPDATE accounts SET ready_views_added_at = now()
  WHERE id = ${accountId}${opts.once ? sql` AND ready_views_added_at IS NULL` : sql``}
  RETURNING id
), last AS (
  SELECT COALESCE(max(position), 0) AS position FROM saved_views WHERE account_id = ${accountId}
)
INSERT INTO saved_views (account_id, name, query, position)
SELECT claim.id, v.name, v.query, last.position + v.n
FROM claim, last,
  unnest(${views.map((v) => v.name)}::text[], ${views.map((v) => v.query)}::text[])
    WITH ORDINALITY AS v(name, query, n)
ON CONFLICT (account_id, lower(name)) DO NOTHING
RETURNING id`.execute(db),
  )
  return rows.length
}
