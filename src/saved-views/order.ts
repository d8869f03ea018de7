// A saved views rail's order: a whole new order (the API's PUT /v1/views/order) or one view moved
// a place up or down (the rail's menu). Each is one statement, run again when a concurrent write
// took the same place (./store.ts's retryOnPositionClash), so a view created meanwhile is never
// lost and never makes the reorder fail.
import { sql, type Kysely } from 'kysely'
import type { Database } from '../db/schema.js'
import { invalid, listViews, noView, retryOnPositionClash, type SavedView } from './store.js'

type Db = Kysely<Database>

/**
 * Puts the account's views in this order: `ids` lists views of the account, each once. A view it
 * does not list (one created since the caller read the rail, in another tab or by the API) keeps
 * its place relative to the other unlisted ones, after the listed views: a reorder racing a create
 * is not refused and loses nothing.
 */
export async function reorderViews(db: Db, accountId: number, ids: unknown): Promise<SavedView[]> {
  const views = await listViews(db, accountId)
  const own = new Set(views.map((v) => v.id))
  if (
    !Array.isArray(ids) ||
    new Set(ids).size !== ids.length ||
    !ids.every((id) => typeof id === 'number' && own.has(id))
  ) {
    throw invalid([
      { path: 'ids', message: `ids of your views, each once (${[...own].join(', ') || 'none'})` },
    ])
  }
  // Positions from 1 after the highest one in use, so the new places never meet a view created
  // meanwhile (which took max + 1 of the old ones), whatever order the rows are updated in. A
  // view deleted meanwhile is simply not there to place.
  await retryOnPositionClash(() =>
    sql`
UPDATE saved_views v SET position = base.top + ranked.place, updated_at = now()
FROM (
  SELECT s.id, row_number() OVER (ORDER BY o.n NULLS LAST, s.position, s.id) AS place
  FROM saved_views s
  LEFT JOIN unnest(${ids}::bigint[]) WITH ORDINALITY AS o(id, n) ON o.id = s.id
  WHERE s.account_id = ${accountId}
) ranked,
  (SELECT COALESCE(max(position), 0) AS top FROM saved_views WHERE account_id = ${accountId}) base
WHERE v.id = ranked.id AND v.account_id = ${accountId}`.execute(db),
  )
  return listViews(db, accountId)
}

/** Moves a view one place up or down the rail: it swaps places with its neighbour, in one
 *  statement. False when it is already first (or last). */
export async function moveView(db: Db, accountId: number, viewId: number, by: -1 | 1) {
  const up = by === -1
  const { rows } = await retryOnPositionClash(() =>
    sql<{ id: number }>`
WITH me AS (
  SELECT id, position FROM saved_views WHERE account_id = ${accountId} AND id = ${viewId}
), neighbour AS (
  SELECT v.id, v.position FROM saved_views v, me
  WHERE v.account_id = ${accountId}
    AND ${up ? sql`(v.position, v.id) < (me.position, me.id)` : sql`(v.position, v.id) > (me.position, me.id)`}
  ORDER BY ${up ? sql`v.position DESC, v.id DESC` : sql`v.position, v.id`}
  LIMIT 1
)
UPDATE saved_views v
SET position = CASE WHEN v.id = me.id THEN neighbour.position ELSE me.position END,
  updated_at = now()
FROM me, neighbour
WHERE v.account_id = ${accountId} AND v.id IN (me.id, neighbour.id)
RETURNING v.id`.execute(db),
  )
  if (rows.length) return true
  if (!(await listViews(db, accountId)).some((v) => v.id === viewId)) throw noView()
  return false
}
