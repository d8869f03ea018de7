// What the filter builder offers to filter on: the account's projects, and every param key its
// customers have, per project, with the JSON types seen and, for a key with few distinct values,
// those values to pick from. One statement, read when the builder first opens (never with the
// table itself), so its cost is paid only by someone about to add a filter.
import { sql, type Kysely } from 'kysely'
import type { Database } from '../db/schema.js'
import type { ProjectInfo } from './query.js'

/** Values offered for a key with at most this many distinct ones. */
export const FEW_VALUES = 12

export interface ParamField {
  project: string
  key: string
  /** JSON types seen: string, number, boolean, array, object, null. */
  types: string[]
  /** How many of the project's customers have the key. */
  customers: number
  /** Its values, when there are few (scalars only), else null. */
  values: (string | number | boolean)[] | null
}

export interface FilterFields {
  projects: ProjectInfo[]
  params: ParamField[]
}

type Row = {
  slug: string
  key: string
  type: string
  customers: number
  values: (string | number | boolean)[] | null
}

export async function filterFields(db: Kysely<Database>, accountId: number): Promise<FilterFields> {
  // seen: per project, key and JSON type: how many customers have it, and
  //   its values when few.
  const { rows } = await sql<{ params: Row[]; projects: ProjectInfo[] }>`
WITH seen AS (
  SELECT p.slug, kv.key, jsonb_typeof(kv.value) AS type, count(*)::int AS customers,
    CASE WHEN count(DISTINCT kv.value) <= ${FEW_VALUES}
      AND jsonb_typeof(kv.value) IN ('string', 'number', 'boolean')
    THEN jsonb_agg(DISTINCT kv.value) END AS values
  FROM customer_projects r
  JOIN projects p ON p.id = r.project_id
  CROSS JOIN LATERAL jsonb_each(r.params) kv
  WHERE r.account_id = ${accountId}
  GROUP BY p.slug, kv.key, jsonb_typeof(kv.value)
)
SELECT
  COALESCE((SELECT json_agg(seen) FROM seen), '[]') AS params,
  COALESCE((
    SELECT json_agg(json_build_object('id', p.id, 'name', p.name, 'slug', p.slug, 'color', p.color)
      ORDER BY p.created_at, p.id)
    FROM projects p WHERE p.account_id = ${accountId}), '[]') AS projects`.execute(db)
  const row = rows[0]!
  const fields = new Map<string, ParamField>()
  for (const r of row.params) {
    const id = `${r.slug}\u0000${r.key}`
    const field = fields.get(id) ?? {
      project: r.slug,
      key: r.key,
      types: [],
      customers: 0,
      values: [],
    }
    field.types.push(r.type)
    field.customers += Number(r.customers)
    // Few values per type, and few in all: offered; else typed by hand.
    field.values =
      field.values && r.values && field.values.length + r.values.length <= FEW_VALUES
        ? [...field.values, ...r.values]
        : null
    fields.set(id, field)
  }
  const params = [...fields.values()].sort(
    (a, b) => a.key.localeCompare(b.key) || a.project.localeCompare(b.project),
  )
  return { projects: row.projects.map((p) => ({ ...p, id: Number(p.id) })), params }
}
