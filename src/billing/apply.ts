// Applying one verified billing event: ONE transaction (src/db/transaction.ts: one batch on Neon's
// HTTP driver, which has no interactive transactions) of two statements, so a failure anywhere
// writes nothing. The first only locks the customers the event leads to (lockPeople); the second,
// with a snapshot taken once it holds them, does the rest:
//
// 1. The event id is recorded per connection; a duplicate inserts nothing and everything below
//    reads from that insert, so it changes nothing (exactly once).
// 2. The billing customer's row merges what the event says about its subscription, field by field:
//    each field keeps the value with the greatest order key (see orderKey() in ./events.ts, and
//    billing_merge() in the migration), so events applied in any order end as if applied in
//    order, and an older event changes nothing.
//    The row remembers the email the customer was first seen with; without one, the customer is
//    waiting and nothing else is written yet.
// 3. The subscriptions of every billing customer linked to that email in the project are merged
//    into one row per (project, email); its row lock makes concurrent events of one person (two
//    subscriptions, or two Stripe customers of one email) apply one after the other, each seeing
//    the other's result (Postgres re-reads a conflicting row before updating it).
// 4. From that row, the relation's status (the best subscription's) and params (`mrr` the sum of
//    the paying subscriptions') are written by the ingest statement itself (src/ingest/upsert.ts):
//    the same customer and relation upsert as identify, as part of this statement.
import { sql, type Kysely, type RawBuilder } from 'kysely'
import type { BillingState, Database } from '../db/schema.js'
import { allHeld, familyIds, lockOrder, recordHeld } from '../db/lock-order.js'
import { prepared } from '../db/prepared.js'
import { runIngest } from '../ingest/upsert.js'
import { familyStateCtes } from './family-state.js'
import { stampOf, type BillingEvent, type Provider } from './events.js'

/** The event's patch as state: every field it sets, stamped with the event's order key. */
export function stateOf(event: BillingEvent): BillingState {
  if (!event.subscription) return {}
  const fields: BillingState[string] = {}
  for (const [field, v] of Object.entries(event.subscription.patch)) {
    if (v !== undefined) fields[field] = { v, at: event.order }
  }
  return { [event.subscription.id]: fields }
}

/** A billing customer with no id (a guest checkout) is known by its email alone. */
export const billingCustomerKey = (event: BillingEvent) =>
  event.customer ?? `email:${event.email ?? ''}`

export interface Connection {
  id: string
  project_id: number
  provider: Provider
}

export interface ApplyOutcome {
  /** False when the connection was deleted meanwhile: nothing was written. */
  connected: boolean
  /** The event id was seen before on this connection: nothing was written. */
  duplicate: boolean
  /** No email is known for its billing customer yet: kept, applied when one arrives. */
  waiting: boolean
  /** The TinyCRM customer the relation was written for, when it was. */
  customerId: number | null
}

/** The customers of the email `email` (on customers `c`, of the account of billing connection
 *  `k`): its customer's survivor and everyone merged into that, as `f`. */
const personOf = (
  email: RawBuilder<unknown>,
) => sql`JOIN customers c ON c.account_id = k.account_id AND c.email = ${email}
  JOIN customers f ON f.account_id = k.account_id
    AND f.id = ANY(${familyIds(sql`COALESCE(c.merged_into, c.id)`)})`

/** The relation's status and params from the subscriptions of the customer the event's email
 *  leads to: `b_relation` (the email's own billing row) and `b_others` make the family whose
 *  state ./family-state.ts computes, ending in `b_row`. */
function relationState(event: BillingEvent) {
  // b_others: The customer's other emails in the project's billing (a merge's survivor and the
  //   emails it absorbed, each keeping its own billing row): their subscriptions are the customer's
  //   too. Locked, so that events of two of them apply one after the other, each seeing the
  //   other's.
  // b_family: One family (owner 0) in one project.
  return sql`
b_others AS (
  SELECT o.project_id, o.subscriptions, o.latest_at
  FROM b_relation r
  JOIN b_conn k ON true
  ${personOf(sql`r.email`)}
  JOIN billing_relations o ON o.project_id = r.project_id AND o.email = f.email
  WHERE f.email <> r.email
  FOR UPDATE OF o
),
b_family AS (
  SELECT 0 AS owner, project_id, subscriptions, latest_at FROM b_relation
  UNION ALL
  SELECT 0 AS owner, project_id, subscriptions, latest_at FROM b_others
),
${familyStateCtes(sql`${event.customer}`)},
b_row AS (
  SELECT r.email, s.stamp, s.status, s.patch
  FROM b_relation r JOIN b_state s ON s.project_id = r.project_id
)`
}

/**
 * Every billing write to a relation goes through here: the row of `b_row` (status, params) as one
 * ingest row, its provider as the source, stamped with the time of the newest event seen, so that
 * newest wins between billing and the other writers (an identify stamped later than the billing
 * state keeps its status). Among billing's own writes a later one carries at least the state of an
 * earlier one, and wins a tie. A billing event is not the customer's activity (`activity: false`);
 * a relation it creates is first seen when the billing customer's first event happened (one that
 * waited for the email came before it). The provider's name for its customer (the event's, else
 * the one an earlier event left on the billing customer: on a connection with a product list,
 * customer.created comes before the subscription that lets it write) only fills a customer's empty
 * name: the product's own word on it wins.
 */
function relationWrite(event: BillingEvent) {
  // The billing customer's earliest event still remembered: one that waited for the email came
  // first. (This event's own row, inserted by the same statement, is not visible to it.)
  const earliest = sql`(SELECT min(e.occurred_at) FROM billing_events e JOIN b_conn c
    ON e.project_id = c.project_id
    WHERE e.provider = ${event.provider} AND e.billing_customer_id = ${billingCustomerKey(event)})`
  return {
    sent: sql`SELECT 0 AS i, b.email, (SELECT name FROM b_customer) AS name, b.status,
      b.stamp AS status_at, b.patch, '{}'::jsonb AS patch_at, NULL::jsonb AS once,
      extract(epoch FROM b.stamp) AS at,
      LEAST(${event.created}::timestamptz, ${earliest}) AS first_ts,
      ${event.created}::timestamptz AS last_ts,
      false AS ping, ${event.provider}::text AS source
      FROM b_row b`,
    count: 1,
    pings: false,
    activity: false,
    nameFillsEmpty: true,
  }
}

/** An event that names no product, on a connection with a product list (BillingEvent.knownOnly):
 *  it reaches the relation only when the billing customer holds a subscription or purchase
 *  (an entry with a status: one a listed product's event wrote), or the email already has
 *  billing state in the project. Otherwise it only remembers the email, for the customer's
 *  later events. */
const knownOnlyGate = sql`
    AND (EXISTS (SELECT 1 FROM jsonb_each(b_customer.subscriptions) s WHERE s.value ? 'status')
      OR EXISTS (SELECT 1 FROM billing_relations x
        WHERE x.project_id = b_customer.project_id AND x.email = b_customer.email))`

/**
 * The first statement: locks the customers the event's email leads to (the email its billing
 * customer was first seen with, else the event's), its survivor and the survivor's other emails,
 * in the order every writer locks customers (tombstones first, then by email), before the event's
 * statement locks any billing row of theirs. The statement alone locked them after its billing
 * customer's row, and an erasure, which locks the customers and then deletes their billing rows,
 * deadlocked with it: 63 to 103 deadlocks (retried) in 60 trials of ./erase-races.pg.test.ts,
 * 0 to 16 in 30 after, and none once the event's statement retries rather than lock a customer
 * this one did not (allHeld). Taken by a statement of its own, the locks also give the event's
 * statement a snapshot that holds a merge, undo or erasure of these customers that committed
 * while it waited: it reads the family as it is, not as it was.
 */
export function lockPeople(db: Kysely<Database>, connection: Connection, event: BillingEvent) {
  const email = sql`COALESCE(
    (SELECT b.email FROM billing_customers b WHERE b.project_id = k.project_id
      AND b.provider = ${event.provider} AND b.billing_customer_id = ${billingCustomerKey(event)}),
    ${event.email}::text)`
  return prepared(
    recordHeld(sql`SELECT f.id FROM billing_connections k
  ${personOf(email)}
  WHERE k.id = ${connection.id}
  ${lockOrder('NO KEY UPDATE')}`),
  ).compile(db)
}

export async function applyBillingEvent(
  db: Kysely<Database>,
  connection: Connection,
  event: BillingEvent,
): Promise<ApplyOutcome> {
  const state = JSON.stringify(stateOf(event))
  // On conflict, the first email stays: a later one (an email change) follows the same customer.
  // b_linked: Linked to an email: its subscriptions join those of the email's other billing
  //   customers. (An email absorbed by a merge is written onto its survivor by the ingest
  //   statement, as identify's.)
  // b_people: The customer of that email, its survivor and the survivor's other emails, locked
  //   before their billing relation rows, in the order every writer locks customers (tombstones
  //   first, then by email), as merges, identify and erasures do: lockPeople holds them already.
  //   If not (another event linked the billing customer meanwhile, or the email's customer was
  //   made again after an erasure), the statement aborts with 40001 and runs again (allHeld):
  //   locked here, after the billing customer's row, they deadlocked with erasures. Locked after
  //   them, by the ingest statement, events of one customer's emails racing merges of it
  //   deadlocked one another (106 deadlocks in 10 trials of ./races.pg.test.ts, none after),
  //   some past every retry (5 of 480 events: 500).
  // b_relation's WHERE, always true: makes b_people lock its rows before this insert
  //   locks a billing row.
  const before = sql`
b_conn AS (
  SELECT id, project_id, account_id FROM billing_connections WHERE id = ${connection.id}
),
b_event AS (
  INSERT INTO billing_events
    (connection_id, event_id, project_id, provider, billing_customer_id, type, occurred_at)
  SELECT c.id, ${event.id}, c.project_id, ${event.provider}, ${billingCustomerKey(event)},
    ${event.type}, ${event.created}::timestamptz
  FROM b_conn c
  ON CONFLICT (connection_id, event_id) DO NOTHING
  RETURNING project_id
),
b_customer AS (
  INSERT INTO billing_customers AS b
    (project_id, provider, billing_customer_id, email, name, subscriptions, latest_at)
  SELECT e.project_id, ${event.provider}, ${billingCustomerKey(event)}, ${event.email}::text,
    ${event.name ?? null}::text, ${state}::jsonb, ${stampOf(event)}::timestamptz
  FROM b_event e
  ON CONFLICT (project_id, provider, billing_customer_id) DO UPDATE SET
    email = COALESCE(b.email, EXCLUDED.email),
    name = CASE WHEN EXCLUDED.name IS NOT NULL
      AND (b.name IS NULL OR EXCLUDED.latest_at >= b.latest_at) THEN EXCLUDED.name ELSE b.name END,
    subscriptions = billing_merge(b.subscriptions, EXCLUDED.subscriptions),
    latest_at = GREATEST(b.latest_at, EXCLUDED.latest_at),
    updated_at = now()
  RETURNING b.project_id, b.email, b.name, b.subscriptions, b.latest_at
),
b_linked AS (
  SELECT project_id, email, subscriptions, latest_at FROM b_customer WHERE email IS NOT NULL${
    event.knownOnly ? knownOnlyGate : sql``
  }
),
b_people AS (
  SELECT f.id FROM b_linked l
  JOIN b_conn k ON true
  ${personOf(sql`l.email`)}
  WHERE ${allHeld(sql`b_conn k ${personOf(sql`(SELECT email FROM b_linked)`)} WHERE true`)}
  ${lockOrder('NO KEY UPDATE')}
),
b_relation AS (
  INSERT INTO billing_relations AS r (project_id, email, subscriptions, latest_at)
  SELECT project_id, email, subscriptions, latest_at FROM b_linked
  WHERE (SELECT count(*) FROM b_people) >= 0
  ON CONFLICT (project_id, email) DO UPDATE SET
    subscriptions = billing_merge(r.subscriptions, EXCLUDED.subscriptions),
    latest_at = GREATEST(r.latest_at, EXCLUDED.latest_at),
    updated_at = now()
  RETURNING r.project_id, r.email, r.subscriptions, r.latest_at
),
${relationState(event)}`

  const result = await runIngest<{ connected: number; recorded: number; waiting: number }>(
    db,
    { projectId: connection.project_id },
    {
      before,
      ...relationWrite(event),
      report: sql`(SELECT count(*)::int FROM b_conn) AS connected,
        (SELECT count(*)::int FROM b_event) AS recorded,
        (SELECT count(*)::int FROM b_customer WHERE email IS NULL) AS waiting`,
    },
    [],
    [lockPeople(db, connection, event)],
  )
  const recorded = result.recorded > 0
  return {
    connected: result.connected > 0,
    duplicate: result.connected > 0 && !recorded,
    waiting: recorded && result.waiting > 0,
    customerId: result.identified[0]?.id ?? null,
  }
}
