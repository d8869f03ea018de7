// The customers table's order and its keyset pages: the sort expression of each sort, the page's
// cursor, and where a row stands against it. Shared by the rows statement (./query.ts) and the
// summary (./summary.ts), which counts the rows before the page.
import { sql } from 'kysely'
import type { Cond } from './conditions.js'
import { sortParam, type Cursor, type CustomerFilter } from './filter-syntax.js'

/** The sort expression, the SQL type of its cursor value, and whether it is unique on its own. */
export function sortSpec(key: CustomerFilter['sort']['key']) {
  switch (key) {
    case 'last_activity':
      return { expr: sql`c.last_activity_at`, type: sql`timestamptz` }
    case 'first_seen':
      return { expr: sql`c.created_at`, type: sql`timestamptz` }
    case 'email':
      return { expr: sql`c.email`, type: sql`text` }
    case 'name':
      // Without regard to case or accents (lower-cased, then decomposed and its combining marks
      // dropped), otherwise in code point order on every database, the nameless last (U+10FFFF,
      // the last code point, sorts after every name). The index of
      // migrations/2026-11-30T06-name-order.ts: the two expressions must stay equal.
      return {
        expr: sql`(COALESCE(regexp_replace(normalize(lower(NULLIF(c.name, '')), NFD),
      '[\u0300-\u036f]', '', 'g'), chr(1114111)) COLLATE "C")`,
        type: sql`text`,
      }
  }
}

/** The conditions ANDed, `true` when there are none. */
export const where = (conds: Cond[]) => (conds.length ? sql.join(conds, sql` AND `) : sql`true`)

/** The page's cursor, when it was made for this sort (another sort's cursor: the first page). */
export function pageCursor(f: CustomerFilter): { cursor: Cursor; backwards: boolean } | undefined {
  const cursor = f.after ?? f.before
  if (!cursor || cursor.sort !== sortParam(f.sort) || cursor.value === null) return undefined
  return { cursor, backwards: !f.after }
}

/** `row` (a (sort value, id) pair) comes after the cursor in the table's order (or before it);
 *  with `orAt`, or is the cursor's row itself. */
export function pastCursor(
  row: Cond,
  f: CustomerFilter,
  cursor: Cursor,
  after: boolean,
  orAt = false,
): Cond {
  const { type } = sortSpec(f.sort.key)
  const cmp = sql.raw((after === (f.sort.dir === 'asc') ? '>' : '<') + (orAt ? '=' : ''))
  return sql`${row} ${cmp} (${String(cursor.value)}::${type}, ${cursor.id}::bigint)`
}
