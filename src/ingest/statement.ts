// The one SQL statement of ingestion (./upsert.ts runs it): it checks the API key, upserts the
// customers (merged by email), upserts their relation to the key's project, and moves last
// activity. Postgres' ON CONFLICT makes two products sending the same new email at once end in
// one customer, and row locks make concurrent
// param merges on one relation lose no key.
//
// Racing a merge, an undo or a delete (src/merges/store.ts). In READ COMMITTED one statement reads
// one snapshot: a row lock it waits for does not refresh what it reads, except that ON CONFLICT DO
// UPDATE, UPDATE and FOR UPDATE act on the latest version of rows that existed in the snapshot.
// So this statement decides where a write goes only through the row it locks:
// - An email merged into another customer keeps its own row, as a tombstone (merged_into). The
//   upsert of an email always lands on that row's latest version: an identify that waited for a
//   merge to commit sees merged_into and writes to the survivor (`onto`), one that waited for an
//   undo finds the email its own customer again. With the email in a separate alias table, the
//   statement would read the alias from its old snapshot, find the absorbed row gone and create
//   the email anew: a duplicate customer, its writes lost to the merge (issue 9, measured).
// - Merge, undo and delete lock the customer rows first, in a statement of their own, and then act
//   with a fresh snapshot: they wait for an ingest holding those rows, and an ingest waits for them.
// - Where the latest version cannot be reached through a locked row (a ping follows its email's
//   snapshot row; a survivor created after the snapshot), the statement checks what it locked
//   against its snapshot and aborts with 40001 when they differ; `write()` runs it again.
// Chosen over SERIALIZABLE-with-retry (every ingest would pay predicate locks and retries under
// load, and Neon's single HTTP queries cannot ask for it) and over advisory locks (a lock taken
// mid-statement does not refresh its snapshot either). Measured with `npm run bench` (bench/README).
import { CompiledQuery, sql, type Kysely, type RawBuilder } from 'kysely'
import { lockOrder } from '../db/lock-order.js'
import { newCustomerSummary } from '../customers/relation-keys.js'
import { prepared } from '../db/prepared.js'
import type { Database } from '../db/schema.js'
import type { Row } from './fold.js'

/** Who wrote a relation's status or params: kept with the relation for its history of changes. */
export type Source = 'api' | 'segment' | 'import' | 'stripe' | 'paddle' | 'merge' | 'dashboard'

/** Whose write this is: a project key (the API) or a project the dashboard already checked (imports). */
export type Writer = { keyHash: string } | { projectId: number }

const writerKey = (writer: Writer) =>
  'keyHash' in writer
    ? sql`SELECT k.project_id, p.account_id, k.revoked_at IS NOT NULL AS revoked
        FROM api_keys k JOIN projects p ON p.id = k.project_id
        WHERE k.key_hash = ${writer.keyHash}`
    : sql`SELECT p.id AS project_id, p.account_id, false AS revoked
        FROM projects p WHERE p.id = ${writer.projectId}`

/** What one ingest statement returns: the key check, and per row what became of it. */
export interface IngestResult {
  found: number
  revoked: boolean
  identified: { i: number; id: number; created: boolean }[]
  pinged: { i: number; id: number }[]
}

/**
 * The rows one ingest statement writes. The API and imports send them as JSON (`jsonRows`); billing
 * computes its one row in CTEs of the same statement (src/billing/apply.ts), so its write is the
 * same customer and relation upsert, still one statement.
 */
export interface IngestRows {
  /** CTEs that run first (`a AS (…), b AS (…)`), for `sent` to read from. */
  before?: RawBuilder<unknown>
  /** CTEs that run once the key is checked: they may read `proj` (project_id, account_id), which
   *  is empty for an unknown or revoked key. */
  withProject?: RawBuilder<unknown>
  /** A SELECT of the rows with the columns of `Row` (i, email, name, status, status_at, patch,
   *  patch_at, once, at, first_ts, last_ts, ping) and `source`; other columns are carried along
   *  and ignored. */
  sent: RawBuilder<unknown>
  /** How many rows `sent` has at most (a request naming several emails needs a lock order). */
  count: number
  /** Whether any row is a ping (the ping CTEs are planned only then). */
  pings: boolean
  /** false: these writes are not the customer's activity (a billing event): a customer or relation
   *  that exists keeps its last activity; a new one starts at `first_ts`. */
  activity: boolean
  /** true: a row's name only fills a customer's empty name (billing's: the name the product gave
   *  through identify, the dashboard or an import stays); otherwise a name sent replaces it. */
  nameFillsEmpty?: boolean
  /** More columns for the result row (what `before` did). */
  report?: RawBuilder<unknown>
}

/** The rows as one JSON parameter (`json`, their JSON text) of the statement (`source` is one too). */
function jsonRows(json: unknown, source: unknown, rows: Row[]): IngestRows {
  return {
    sent: sql`SELECT x.*, ${source}::text AS source
    FROM jsonb_to_recordset(${json}::jsonb) AS x(
    i int, email text, name text, status text, status_at timestamptz, patch jsonb, patch_at jsonb,
    once jsonb, at numeric, first_ts timestamptz, last_ts timestamptz, ping boolean)`,
    count: rows.length,
    pings: rows.some((r) => r.ping),
    activity: true,
  }
}

/** The statement of `rows` sent as JSON for `writer`, built anew (jsonIngestQuery compiles it once
 *  per shape). */
export const jsonIngestStatement = (writer: Writer, rows: Row[], source: Source) =>
  ingestStatement(writer, jsonRows(JSON.stringify(rows), source, rows))

/** The statement of `rows` sent as JSON for `writer`, compiled: its text is built and
 *  compiled once per shape (a key or a project; one row or several; with pings or without), and
 *  a request only puts its values into the parameters. Building and compiling the statement's tree
 *  on every request cost about a third of the server's own work per identify (a CPU profile of the
 *  Node server under identify calls: Kysely's freeze, ref and visitRaw, 5–6 % of its time).
 *  Every dialect here (PGlite, pg, Neon) compiles with PostgreSQL's compiler, so one compilation
 *  serves all. */
export function jsonIngestQuery(
  db: Kysely<Database>,
  writer: Writer,
  rows: Row[],
  source: Source,
): CompiledQuery<IngestResult> {
  const byKey = 'keyHash' in writer
  const shape = `${byKey ? 'key' : 'project'}:${Math.min(rows.length, 2)}:${rows.some((r) => r.ping)}`
  let template = templates.get(shape)
  if (!template) {
    const slot = byKey ? { keyHash: WRITER as unknown as string } : { projectId: WRITER as never }
    template = ingestStatement(slot, jsonRows(ROWS, SOURCE, rows)).compile(db)
    templates.set(shape, template)
  }
  const values = new Map<unknown, unknown>([
    [WRITER, byKey ? writer.keyHash : writer.projectId],
    [ROWS, JSON.stringify(rows)],
    [SOURCE, source],
  ])
  return CompiledQuery.raw(
    template.sql,
    template.parameters.map((p) => (values.has(p) ? values.get(p) : p)),
  ) as CompiledQuery<IngestResult>
}

/** Stand-ins for a request's values in a compiled template (./statement.test.ts checks that a
 *  request's query is the one compiled from its own values). */
const WRITER = Object.freeze({ slot: 'writer' })
const ROWS = Object.freeze({ slot: 'rows' })
const SOURCE = Object.freeze({ slot: 'source' })
const templates = new Map<string, CompiledQuery>()

/** A new relation's status: the one sent, else free. */
const newStatus = (row: 'x' | 's') => sql`COALESCE(${sql.ref(`${row}.status`)}, 'free')`

export const ingestStatement = <Report extends object = object>(
  writer: Writer,
  rows: IngestRows,
) => {
  const { pings, activity } = rows
  // Only a request naming several emails needs a lock order, or can name one customer twice:
  // the single identify, the common case, is planned without those parts.
  const several = rows.count > 1
  // A write that is not activity leaves an existing row's last activity as it is.
  const moved = (row: string, incoming: string) =>
    activity ? sql.raw(`GREATEST(${row}, ${incoming})`) : sql.raw(row)
  // A name sent (null: none) replaces the stored one, or only fills it while there is none (null
  // or empty, as a merge reads it).
  const named = (stored: string, sent: string) =>
    sql.raw(
      rows.nameFillsEmpty
        ? `COALESCE(NULLIF(${stored}, ''), ${sent})`
        : `COALESCE(${sent}, ${stored})`,
    )
  // A new customer's summary columns, as its one relation (written below, with the same status)
  // makes them: the summary trigger then finds them right and leaves the row, which was otherwise
  // written twice, and every index of customers with it (measured in bench/README).
  const fresh = newCustomerSummary(sql`proj.project_id`, newStatus('x'))
  // cust: Each identified email's own row. A row merged into another customer is a tombstone: it
  //   keeps its values, and its survivor takes the write (onto). Several rows are locked in the
  //   order merges lock them (LOCK_ORDER; survivors after them), so that the two do not deadlock.
  // tgt: Whose write it is: the email's customer, or the survivor it was merged into.
  // src: A survivor's relations are written after its row is locked (onto), as a merge locks them.
  // rel: Newest wins: the status, and each param key (relation_patch, in the migration
  //   2026-11-29T10), take the written value only when its time is not older than the stored one's.
  // The last CASE's retry: the email was merged into a customer this statement's snapshot
  //   does not see yet, or a pinged email was merged or unmerged meanwhile: run the statement
  //   again, with a new snapshot.
  return prepared(sql<IngestResult & Report>`
WITH ${rows.before ? sql`${rows.before},` : sql``}
key AS (${writerKey(writer)}),
proj AS (SELECT project_id, account_id FROM key WHERE NOT revoked),
${rows.withProject ? sql`${rows.withProject},` : sql``}
sent AS (${rows.sent}),
cust AS (
  INSERT INTO customers AS c (account_id, email, name, created_at, last_activity_at,
    relation_keys, project_count, best_rank)
  SELECT proj.account_id, x.email, x.name, x.first_ts, x.last_ts, ${fresh.keys}, ${fresh.count},
    ${fresh.best}
  FROM sent x CROSS JOIN proj
  ${several ? LOCK_ORDER : sql`WHERE NOT x.ping`}
  ON CONFLICT (account_id, email) DO UPDATE SET
    name = CASE WHEN c.merged_into IS NULL THEN ${named('c.name', 'EXCLUDED.name')} ELSE c.name END,
    created_at = CASE WHEN c.merged_into IS NULL
      THEN LEAST(c.created_at, EXCLUDED.created_at) ELSE c.created_at END,
    last_activity_at = CASE WHEN c.merged_into IS NULL
      THEN ${moved('c.last_activity_at', 'EXCLUDED.last_activity_at')} ELSE c.last_activity_at END,
    updated_at = CASE WHEN c.merged_into IS NULL THEN now() ELSE c.updated_at END
  RETURNING c.id, c.email, c.merged_into, (c.xmax = 0) AS created
),
tgt AS (
  SELECT COALESCE(c.merged_into, c.id) AS id, c.merged_into IS NOT NULL AS onto, c.created, x.*
  FROM sent x JOIN cust c ON c.email = x.email
),
onto AS (
  UPDATE customers c SET
    name = ${named('c.name', 't.name')},
    created_at = LEAST(c.created_at, t.first_ts),
    last_activity_at = ${moved('c.last_activity_at', 't.last_ts')},
    updated_at = now()
  FROM tgt t WHERE t.onto AND c.id = t.id
  RETURNING c.id
),
src AS (SELECT t.* FROM tgt t WHERE NOT t.onto OR t.id IN (SELECT id FROM onto)),
rel AS (
  INSERT INTO customer_projects AS r (customer_id, project_id, account_id, status, status_at,
    params, params_at, source, first_seen_at, last_activity_at)
  SELECT s.id, proj.project_id, proj.account_id, ${newStatus('s')},
    CASE WHEN s.status IS NOT NULL THEN s.status_at END, p.new_params, p.new_params_at, s.source,
    s.first_ts, s.last_ts
  FROM src s CROSS JOIN proj
    CROSS JOIN LATERAL relation_patch(NULL, NULL, s.patch, s.patch_at, s.at, true, s.once) p
  ORDER BY s.id
  ON CONFLICT (customer_id, project_id) DO UPDATE SET
    (status, status_at, params, params_at, source) = (
      SELECT CASE WHEN n.newer THEN s.status ELSE r.status END,
        CASE WHEN n.newer THEN s.status_at ELSE r.status_at END,
        p.new_params, p.new_params_at, s.source
      FROM src s
        CROSS JOIN LATERAL (SELECT s.status IS NOT NULL
          AND (r.status_at IS NULL OR s.status_at >= r.status_at) AS newer) n
        CROSS JOIN LATERAL relation_patch(
          r.params, r.params_at, s.patch, s.patch_at, s.at, true, s.once) p
      WHERE s.id = EXCLUDED.customer_id),
    first_seen_at = LEAST(r.first_seen_at, EXCLUDED.first_seen_at),
    last_activity_at = ${moved('r.last_activity_at', 'EXCLUDED.last_activity_at')},
    updated_at = now()
  RETURNING r.customer_id
),
${pings ? PING_CTES : NO_PINGS}
SELECT k.found, k.revoked,
  (SELECT COALESCE(json_agg(json_build_object('i', s.i, 'id', s.id, 'created', s.created)), '[]')
     FROM src s) AS identified,
  (SELECT COALESCE(json_agg(json_build_object('i', t.i, 'id', t.id)), '[]')
     FROM ping_to t WHERE t.id IN (SELECT id FROM pinged)) AS pinged,
  CASE
    ${several ? ONE_CUSTOMER_TWICE : sql``}
    WHEN EXISTS (SELECT 1 FROM tgt t WHERE t.onto AND t.id NOT IN (SELECT id FROM onto))
      ${pings ? PING_MOVED : sql``}
    THEN tinycrm_abort('40001', 'a merge moved a customer this request writes to; retrying')
  END AS aborted
  ${rows.report ? sql`, ${rows.report}` : sql``}
FROM (SELECT count(*)::int AS found, COALESCE(bool_or(revoked), false) AS revoked FROM key) k`)
}

// Rows are locked in the order merges lock them: tombstones first (as the snapshot knows them),
// then by email.
const LOCK_ORDER = sql`LEFT JOIN customers known ON known.account_id = proj.account_id
    AND known.email = x.email AND known.merged_into IS NOT NULL
  WHERE NOT x.ping
  ORDER BY known.id IS NULL, x.email`

// Two emails of the request write to one customer (one merged into the other): one statement may
// touch a row once, so the caller applies the items one by one.
const ONE_CUSTOMER_TWICE = sql`WHEN EXISTS (SELECT 1 FROM tgt t
        WHERE t.onto AND (SELECT count(*) FROM tgt u WHERE u.id = t.id) > 1)
      OR EXISTS (SELECT 1 FROM ping_to p WHERE p.id IN (SELECT id FROM tgt))
    THEN tinycrm_abort('21000', 'two emails of the request are one customer')`

// A pinged email whose row a merge or an undo changed after this statement's snapshot.
const PING_MOVED = sql`OR EXISTS (SELECT 1 FROM ping_seen s JOIN ping_now n ON n.id = s.row_id
        WHERE n.merged_into IS DISTINCT FROM s.merged_into)`

// Pings write only to relations that exist. An email's row is read from the statement's snapshot
// (ping_seen), then locked (ping_now), which re-reads its latest version: if a merge or an undo
// changed where the email belongs in between, the statement is retried rather than writing to
// the customer the snapshot named. Only planned when the request has pings: on stale statistics
// the planner drove the relation UPDATE from every relation of the project, O(table) per identify
// (npm run bench: 30 ms instead of 3 at 47k).
// ping_onto: A merged email's survivor is locked before its relation, as identify and merges lock
//   them.
const PING_CTES = sql`ping_seen AS (
  SELECT x.i, x.last_ts, c.id AS row_id, c.merged_into
  FROM sent x CROSS JOIN proj
  JOIN customers c ON c.account_id = proj.account_id AND c.email = x.email
  WHERE x.ping
),
ping_now AS (
  SELECT c.id, c.merged_into FROM customers c
  WHERE c.id IN (SELECT row_id FROM ping_seen)
  ${lockOrder('NO KEY UPDATE', 'c')}
),
ping_to AS (
  SELECT s.i, s.last_ts, COALESCE(n.merged_into, n.id) AS id, n.merged_into IS NOT NULL AS onto
  FROM ping_seen s JOIN ping_now n ON n.id = s.row_id
  WHERE n.merged_into IS NOT DISTINCT FROM s.merged_into
),
ping_onto AS (
  SELECT c.id FROM customers c
  WHERE c.id IN (SELECT id FROM ping_to WHERE onto)
  ORDER BY c.email
  FOR NO KEY UPDATE
),
pinged AS (
  UPDATE customer_projects r SET last_activity_at = GREATEST(r.last_activity_at, p.last_ts)
  FROM (SELECT id, bool_or(onto) AS onto, max(last_ts) AS last_ts FROM ping_to GROUP BY id) p, proj
  WHERE r.customer_id = p.id AND r.project_id = proj.project_id
    AND (NOT p.onto OR p.id IN (SELECT id FROM ping_onto))
  RETURNING r.customer_id AS id, p.last_ts
),
pinged_customers AS (
  UPDATE customers c SET last_activity_at = GREATEST(c.last_activity_at, p.last_ts)
  FROM pinged p WHERE c.id = p.id
  RETURNING c.id
)`
const NO_PINGS = sql`ping_to AS (SELECT NULL::int AS i, NULL::bigint AS id WHERE false),
pinged AS (SELECT NULL::bigint AS id WHERE false)`
