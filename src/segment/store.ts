// Applying Segment events: ONE statement per request, the ingest statement itself
// (src/ingest/upsert.ts) with CTEs of its own before its write:
// 1. Each `messageId` is inserted into segment_messages; the primary key makes a duplicate —
//    in the same request, an earlier one, or one racing on another connection (which waits for
//    this one's row) — insert nothing, and only events whose messageId this statement inserted
//    go on. So a retry is applied once, and a failure anywhere writes nothing, its messageIds
//    included.
// 2. Events that name no email find their customer by an external id the project remembers
//    (segment_ids: a userId, anonymousId or alias seen with an email before).
// 3. The events are folded per email into the rows the ingest statement writes: the last
//    non-empty name; the status and each param key of the newest event (by its `timestamp`; a
//    later event wins a tie), with that time, so newest wins against what is stored; the widest
//    time span; the set-once params (`$set_once`, a TinyCRM item's `paramsOnce`) of the earliest
//    event that sends each key (a former event wins a tie), which the ingest statement sets only
//    where the relation lacks the key; an email whose events are all activity (track, page,
//    screen) is a ping, which creates nothing.
// 4. The external ids of the events applied are remembered for their customer's email.
// 5. Messages older than 7 days are pruned, a few per statement, skipping rows others hold.
import { sql, type Kysely } from 'kysely'
import { lockOrder } from '../db/lock-order.js'
import type { Database } from '../db/schema.js'
import { ingestStatement, type IngestResult, type IngestRows } from '../ingest/statement.js'
import { runIngest, runItemByItem, writerGone } from '../ingest/upsert.js'
import { ApiError } from '../lib/errors.js'
import type { SegmentRow } from './spec.js'

/** How long a messageId is remembered: longer than Segment's own ~24 hours. */
export const DEDUP_WINDOW = '7 days'
/** How many expired messageIds one statement removes at most. */
const PRUNE_PER_STATEMENT = 64

function segmentCtes(rows: SegmentRow[]) {
  // s_first: The first event of each messageId in the request, recorded unless the project has it
  //   already.
  // s_locked: The customers of the request, locked up front in the order merges lock them
  //   (tombstones first, then by email): the ingest statement locks identified emails and pinged
  //   ones in two passes, and two requests mixing identify and track for the same people in
  //   opposite roles deadlocked on them (measured on Postgres with the analytics-node soak:
  //   src/segment/races.pg.test.ts).
  // s_erased: An email found through an id whose customer this statement's snapshot holds but its
  //   lock no longer finds: an erasure (src/merges/erase.ts) deleted the person, and the id with
  //   it, while this statement ran. Its events write nothing and link nothing: written, they would
  //   bring the person back and link the ids again (src/segment/erase-race.pg.test.ts).
  // s_keys: The newest value of each param key per email (by the event's time; a later event wins a
  //   tie), and that time in epoch seconds, as the ingest statement compares it with the stored
  //   key's.
  return sql`
s_in AS (
  SELECT * FROM jsonb_to_recordset(${JSON.stringify(rows)}::jsonb) AS e(
    n int, message_id text, email text, lookup text[], links text[], name text, status text,
    patch jsonb, once jsonb, ts timestamptz, ping boolean, write boolean, source text)
),
s_first AS (
  SELECT DISTINCT ON (message_id) n, message_id FROM s_in
  WHERE message_id IS NOT NULL ORDER BY message_id, n
),
s_new AS (
  INSERT INTO segment_messages (project_id, message_id)
  SELECT proj.project_id, f.message_id FROM s_first f CROSS JOIN proj
  ORDER BY f.message_id
  ON CONFLICT (project_id, message_id) DO NOTHING
  RETURNING message_id
),
s_kept AS (
  SELECT e.*, COALESCE(e.email, (
    SELECT i.email FROM segment_ids i CROSS JOIN proj
    WHERE i.project_id = proj.project_id AND i.external_id = ANY (e.lookup)
    ORDER BY array_position(e.lookup, i.external_id) LIMIT 1)) AS to_email
  FROM s_in e
  WHERE e.message_id IS NULL
    OR e.n IN (SELECT f.n FROM s_first f JOIN s_new USING (message_id))
),
s_locked AS (
  SELECT c.id, c.email FROM customers c CROSS JOIN proj
  WHERE c.account_id = proj.account_id
    AND c.email IN (SELECT to_email FROM s_kept WHERE to_email IS NOT NULL)
  ${lockOrder('NO KEY UPDATE', 'c')}
),
s_erased AS (
  SELECT c.email FROM customers c CROSS JOIN proj
  WHERE c.account_id = proj.account_id
    AND c.email IN (SELECT to_email FROM s_kept WHERE email IS NULL)
    AND c.id NOT IN (SELECT id FROM s_locked)
),
s_found AS (
  SELECT * FROM s_kept k
  WHERE k.to_email IS NOT NULL
    AND (k.email IS NOT NULL OR k.to_email NOT IN (SELECT email FROM s_erased))
),
s_linked AS (
  INSERT INTO segment_ids AS s (project_id, external_id, email)
  SELECT DISTINCT ON (l.id) proj.project_id, l.id, k.to_email
  FROM s_found k CROSS JOIN unnest(k.links) AS l(id) CROSS JOIN proj
  ORDER BY l.id, k.n DESC
  ON CONFLICT (project_id, external_id) DO UPDATE SET email = EXCLUDED.email, updated_at = now()
    WHERE s.email IS DISTINCT FROM EXCLUDED.email
  RETURNING s.external_id
),
s_pruned AS (
  DELETE FROM segment_messages WHERE (project_id, message_id) IN (
    SELECT project_id, message_id FROM segment_messages
    WHERE received_at < now() - ${DEDUP_WINDOW}::interval
    LIMIT ${PRUNE_PER_STATEMENT} FOR UPDATE SKIP LOCKED)
  RETURNING 1
),
s_rows AS (SELECT * FROM s_found WHERE write),
s_keys AS (
  SELECT DISTINCT ON (r.to_email, p.key) r.to_email, p.key, p.value,
    extract(epoch FROM r.ts) AS at
  FROM s_rows r CROSS JOIN jsonb_each(r.patch) AS p(key, value)
  ORDER BY r.to_email, p.key, r.ts DESC, r.n DESC
)${rows.some((r) => r.once) ? SET_ONCE_KEYS : sql``}`
}

// The earliest value of each set-once key per email (by the event's time; a former event wins a
// tie), as TinyCRM's own batch folds `paramsOnce`. Planned only when an event has some.
const SET_ONCE_KEYS = sql`,
s_once AS (
  SELECT DISTINCT ON (r.to_email, o.key) r.to_email, o.key, o.value
  FROM s_rows r CROSS JOIN jsonb_each(r.once) AS o(key, value)
  WHERE jsonb_typeof(o.value) <> 'null'
  ORDER BY r.to_email, o.key, r.ts, r.n
)`

// The rows of the ingest statement (see `Row` in src/ingest/upsert.ts), one per email. Newest
// wins, as for TinyCRM's own API: the status and each param key carry the time of the event that
// set them (Segment's `timestamp`), and the statement keeps them only where they are not older
// than what is stored. The set-once keys go to the statement's `once`, which sets each only where
// the relation lacks it. The source, for the relation's history, is the email's last event's:
// 'segment', or 'api' for a TinyCRM item in a Segment batch.
const sent = (
  setOnce: boolean,
) => sql`SELECT (row_number() OVER (ORDER BY r.to_email))::int - 1 AS i,
    r.to_email AS email,
    (array_agg(r.name ORDER BY r.n DESC) FILTER (WHERE r.name IS NOT NULL))[1] AS name,
    (array_agg(r.status ORDER BY r.ts DESC, r.n DESC) FILTER (WHERE r.status IS NOT NULL))[1]
      AS status,
    max(r.ts) FILTER (WHERE r.status IS NOT NULL) AS status_at,
    COALESCE((SELECT jsonb_object_agg(k.key, k.value) FROM s_keys k
      WHERE k.to_email = r.to_email), '{}'::jsonb) AS patch,
    COALESCE((SELECT jsonb_object_agg(k.key, k.at) FROM s_keys k
      WHERE k.to_email = r.to_email), '{}'::jsonb) AS patch_at,
    ${setOnce ? SET_ONCE : sql`NULL::jsonb`} AS once,
    extract(epoch FROM COALESCE(max(r.ts) FILTER (WHERE NOT r.ping), max(r.ts))) AS at,
    COALESCE(min(r.ts) FILTER (WHERE NOT r.ping), min(r.ts)) AS first_ts,
    max(r.ts) AS last_ts,
    bool_and(r.ping) AS ping,
    (array_agg(r.source ORDER BY r.n DESC))[1] AS source
  FROM s_rows r GROUP BY r.to_email
  HAVING (SELECT count(*) FROM s_locked) >= 0`
const SET_ONCE = sql`(SELECT jsonb_object_agg(o.key, o.value) FROM s_once o
      WHERE o.to_email = r.to_email)`

export interface SegmentOutcome {
  /** Events applied now (not seen before in the project). */
  applied: number
  /** Events whose messageId the project had applied already: nothing written for them. */
  duplicates: number
}

const CARDINALITY_VIOLATION = '21000'

/** Applies the events with the project key whose SHA-256 is `keyHash`, in one statement. Throws
 *  401/403 for an unknown or revoked key; writes nothing then. With no events, it only checks the
 *  key (a request whose events are all invalid). */
export async function applySegmentEvents(
  db: Kysely<Database>,
  keyHash: string,
  rows: SegmentRow[],
): Promise<SegmentOutcome> {
  let result
  try {
    result = await runIngest<Kept>(db, { keyHash }, ingestRows(rows))
  } catch (err) {
    // Two emails of the request are one customer (one merged into the other): one statement may
    // touch a row once, so the events go one by one, each still applied once.
    if ((err as { code?: string }).code === CARDINALITY_VIOLATION && rows.length > 1) {
      return applyOneByOne(db, keyHash, rows)
    }
    throw err
  }
  checkKey(result)
  return { applied: result.kept, duplicates: rows.length - result.kept }
}

type Kept = { kept: number }

/** The ingest statement's rows for `rows`, with the Segment CTEs before its write. */
const ingestRows = (rows: SegmentRow[]): IngestRows => ({
  withProject: segmentCtes(rows),
  sent: sent(rows.some((r) => r.once)),
  count: rows.length,
  pings: rows.some((r) => r.ping),
  activity: true,
  report: sql`(SELECT count(*)::int FROM s_kept) AS kept`,
})

function checkKey(result: IngestResult) {
  if (result.found === 0) throw new ApiError('unauthorized', 'Unknown API key')
  if (result.revoked) throw new ApiError('forbidden', 'This API key has been revoked')
}

/**
 * The events one statement each, in ONE transaction that ends by checking that the key can still
 * write (runItemByItem in ../ingest/upsert.ts): written whole or not at all, as a request applied
 * in one statement. Each event committing alone, a key revoked midway answered 403 with the
 * events before it stored, their messageIds too (measured on PostgreSQL: 9 of 16 batches of 150
 * answered 403 with 1 to 149 stored: ./one-by-one.pg.test.ts).
 */
async function applyOneByOne(
  db: Kysely<Database>,
  keyHash: string,
  rows: SegmentRow[],
): Promise<SegmentOutcome> {
  const writer = { keyHash }
  const emails = rows.map((row) => row.email)
  // An id sent with two emails links to the later event's: such events keep their order (null).
  const emailsOfId = new Map<string, Set<string | null>>()
  for (const row of rows) {
    for (const id of row.links) emailsOfId.set(id, (emailsOfId.get(id) ?? new Set()).add(row.email))
  }
  const movable = (row: SegmentRow) => row.links.every((id) => emailsOfId.get(id)!.size === 1)
  let results
  try {
    results = await runItemByItem(db, writer, {
      orderBy: rows.map((row) => (movable(row) ? row.email : null)),
      emails: emails.filter((email) => email !== null),
      statementOf: (n) => ingestStatement<Kept>(writer, ingestRows([rows[n]!])).compile(db),
    })
  } catch (err) {
    if (!writerGone(err)) throw err
    // Which answer: the key's state now (the transaction wrote nothing); no events only check it.
    await applySegmentEvents(db, keyHash, [])
    throw err
  }
  let applied = 0
  for (const result of results as (IngestResult & Kept)[]) {
    checkKey(result)
    applied += result.kept
  }
  return { applied, duplicates: rows.length - applied }
}
