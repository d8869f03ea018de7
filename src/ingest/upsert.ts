// The one place that knows the SQL of ingestion. identify, ping and batch all become one call of
// `ingest()`: ONE statement that checks the API key, upserts the customers (merged by email), upserts
// their relation to the key's project, and moves last activity. Postgres' ON CONFLICT makes two
// products sending the same new email at once end in one customer, and row locks make concurrent
// param merges on one relation lose no key.
import { sql, type Kysely } from 'kysely'
import type { Database } from '../db/schema.js'
import { ApiError } from '../lib/errors.js'
import type { BatchItem } from './schemas.js'

/** One group of items for the same email, folded into what they do together, in order. */
interface Row {
  i: number
  email: string
  name: string | null
  status: string | null
  /** Shallow patch of params: a key whose value is null is removed. */
  patch: Record<string, unknown>
  first_ts: string
  last_ts: string
  ping: boolean
}

export type ItemResult =
  | { type: 'identify'; customerId: number; created: boolean }
  | { type: 'ping'; found: boolean; customerId?: number }

/** Folds the items per email (a batch may name one email many times; one statement may touch a row
 *  only once), in order: last non-empty name, last status, params patched in sequence, the widest
 *  time span. A ping folded into an identify of the same batch finds its customer. */
function fold(items: BatchItem[], receivedAt: Date): { rows: Row[]; groupOf: number[] } {
  const byEmail = new Map<string, Row>()
  const rows: Row[] = []
  const groupOf: number[] = []
  for (const item of items) {
    const ts = (item.timestamp ?? receivedAt).toISOString()
    let row = byEmail.get(item.email)
    if (!row) {
      row = {
        i: rows.length,
        email: item.email,
        name: null,
        status: null,
        patch: Object.create(null) as Record<string, unknown>,
        first_ts: ts,
        last_ts: ts,
        ping: true,
      }
      byEmail.set(item.email, row)
      rows.push(row)
    }
    groupOf.push(row.i)
    if (ts > row.last_ts) row.last_ts = ts
    if (item.type === 'ping') continue
    if (row.ping || ts < row.first_ts) row.first_ts = ts
    row.ping = false
    const name = item.name?.trim()
    if (name) row.name = name
    if (item.status) row.status = item.status
    // Assignment onto a null-prototype object keeps "__proto__" and friends as plain keys.
    for (const [k, v] of Object.entries(item.params ?? {})) row.patch[k] = v
  }
  return { rows, groupOf }
}

/** Whose write this is: a project key (the API) or a project the dashboard already checked (imports). */
export type Writer = { keyHash: string } | { projectId: number }

const writerKey = (writer: Writer) =>
  'keyHash' in writer
    ? sql`SELECT k.project_id, p.account_id, k.revoked_at IS NOT NULL AS revoked
        FROM api_keys k JOIN projects p ON p.id = k.project_id
        WHERE k.key_hash = ${writer.keyHash}`
    : sql`SELECT p.id AS project_id, p.account_id, false AS revoked
        FROM projects p WHERE p.id = ${writer.projectId}`

const INGEST_SQL = (writer: Writer, rows: Row[]) => sql<{
  found: number
  revoked: boolean
  identified: { i: number; id: number; created: boolean }[]
  pinged: { i: number; id: number }[]
}>`
WITH key AS (${writerKey(writer)}),
proj AS (SELECT project_id, account_id FROM key WHERE NOT revoked),
sent AS (
  SELECT * FROM jsonb_to_recordset(${JSON.stringify(rows)}::jsonb) AS x(
    i int, email text, name text, status text, patch jsonb,
    first_ts timestamptz, last_ts timestamptz, ping boolean)
),
-- An email absorbed by a merge is an alias: its writes go to the surviving customer.
input AS (
  SELECT x.i, COALESCE(survivor.email, x.email) AS email, x.name, x.status, x.patch,
    x.first_ts, x.last_ts, x.ping
  FROM sent x
  LEFT JOIN customer_aliases a
    ON a.email = x.email AND a.account_id = (SELECT account_id FROM proj)
  LEFT JOIN customers survivor ON survivor.id = a.customer_id
),
cust AS (
  INSERT INTO customers AS c (account_id, email, name, created_at, last_activity_at)
  SELECT proj.account_id, x.email, x.name, x.first_ts, x.last_ts
  FROM input x CROSS JOIN proj WHERE NOT x.ping
  ORDER BY x.email
  ON CONFLICT (account_id, email) DO UPDATE SET
    name = COALESCE(EXCLUDED.name, c.name),
    created_at = LEAST(c.created_at, EXCLUDED.created_at),
    last_activity_at = GREATEST(c.last_activity_at, EXCLUDED.last_activity_at),
    updated_at = now()
  RETURNING c.id, c.email, (c.xmax = 0) AS created
),
src AS (SELECT cust.id, cust.created, x.* FROM input x JOIN cust ON cust.email = x.email),
rel AS (
  INSERT INTO customer_projects AS r
    (customer_id, project_id, account_id, status, params, first_seen_at, last_activity_at)
  SELECT s.id, proj.project_id, proj.account_id, COALESCE(s.status, 'free'),
    s.patch - ARRAY(SELECT k FROM jsonb_each(s.patch) AS e(k, v) WHERE jsonb_typeof(v) = 'null'),
    s.first_ts, s.last_ts
  FROM src s CROSS JOIN proj
  ORDER BY s.id
  ON CONFLICT (customer_id, project_id) DO UPDATE SET
    status = COALESCE((SELECT s.status FROM src s WHERE s.id = EXCLUDED.customer_id), r.status),
    params = (
      SELECT (r.params || s.patch)
        - ARRAY(SELECT k FROM jsonb_each(s.patch) AS e(k, v) WHERE jsonb_typeof(v) = 'null')
      FROM src s WHERE s.id = EXCLUDED.customer_id),
    first_seen_at = LEAST(r.first_seen_at, EXCLUDED.first_seen_at),
    last_activity_at = GREATEST(r.last_activity_at, EXCLUDED.last_activity_at),
    updated_at = now()
  RETURNING r.customer_id
),
-- Only planned when the request has pings: on stale statistics the planner drove this UPDATE from
-- every relation of the project, O(table) per identify (npm run bench: 30 ms instead of 3 at 47k).
pinged AS (${
  rows.some((r) => r.ping)
    ? sql`UPDATE customer_projects r SET last_activity_at = GREATEST(r.last_activity_at, x.last_ts)
  FROM input x, customers c, proj
  WHERE x.ping AND c.account_id = proj.account_id AND c.email = x.email
    AND r.customer_id = c.id AND r.project_id = proj.project_id
  RETURNING x.i, r.customer_id AS id, x.last_ts`
    : sql`SELECT NULL::int AS i, NULL::bigint AS id, NULL::timestamptz AS last_ts WHERE false`
}),
pinged_customers AS (
  UPDATE customers c SET last_activity_at = GREATEST(c.last_activity_at, p.last_ts)
  FROM pinged p WHERE c.id = p.id
  RETURNING c.id
)
SELECT k.found, k.revoked,
  (SELECT COALESCE(json_agg(json_build_object('i', s.i, 'id', s.id, 'created', s.created)), '[]')
     FROM src s) AS identified,
  (SELECT COALESCE(json_agg(json_build_object('i', p.i, 'id', p.id)), '[]') FROM pinged p) AS pinged
FROM (SELECT count(*)::int AS found, COALESCE(bool_or(revoked), false) AS revoked FROM key) k`

const RETRYABLE_SQLSTATE = new Set(['40P01', '40001']) // deadlock, serialization failure
const CARDINALITY_VIOLATION = '21000'

/** Applies the items with the project key whose SHA-256 is `keyHash`; one result per item, in order.
 *  Throws 401/403 for an unknown or revoked key; writes nothing then. */
export async function ingest(
  db: Kysely<Database>,
  keyHash: string,
  items: BatchItem[],
  receivedAt = new Date(),
): Promise<ItemResult[]> {
  return write(db, { keyHash }, items, receivedAt)
}

/** The same upsert for a project the caller has already authorised (CSV import): one statement. */
export async function ingestForProject(
  db: Kysely<Database>,
  projectId: number,
  items: BatchItem[],
  receivedAt = new Date(),
): Promise<ItemResult[]> {
  return write(db, { projectId }, items, receivedAt)
}

async function write(
  db: Kysely<Database>,
  writer: Writer,
  items: BatchItem[],
  receivedAt: Date,
): Promise<ItemResult[]> {
  const { rows, groupOf } = fold(items, receivedAt)
  let result
  for (let attempt = 1; ; attempt++) {
    try {
      result = (await INGEST_SQL(writer, rows).execute(db)).rows[0]!
      break
    } catch (err) {
      const code = (err as { code?: string }).code
      // 21000: two emails of one batch are the same customer (one is an alias of the other), and
      // one statement may not touch a row twice. Rare: apply those items one by one, in order.
      if (code === CARDINALITY_VIOLATION && items.length > 1) {
        const results: ItemResult[] = []
        for (const item of items) results.push(...(await write(db, writer, [item], receivedAt)))
        return results
      }
      if (attempt >= 3 || !code || !RETRYABLE_SQLSTATE.has(code)) throw err
    }
  }
  if (result.found === 0) {
    throw 'keyHash' in writer
      ? new ApiError('unauthorized', 'Unknown API key')
      : new ApiError('not_found', 'No such project')
  }
  if (result.revoked) throw new ApiError('forbidden', 'This API key has been revoked')

  const identified = new Map(result.identified.map((r) => [r.i, r]))
  const pinged = new Map(result.pinged.map((r) => [r.i, r]))
  return items.map((item, n): ItemResult => {
    const group = groupOf[n]!
    const ident = identified.get(group)
    if (item.type === 'identify') {
      return { type: 'identify', customerId: ident!.id, created: ident!.created }
    }
    const id = ident?.id ?? pinged.get(group)?.id
    return id === undefined
      ? { type: 'ping', found: false }
      : { type: 'ping', found: true, customerId: id }
  })
}
