// How long a billing event id is remembered. billing_events exists to apply each event once, and
// providers re-send an event for 3 days (Stripe's and Paddle's automatic retries in live mode), so
// ids older than 30 days only grow the table. Run with the other expiries (src/retention.ts).
//
// Forgetting an id loses nothing the order of events needs: each field of each subscription keeps
// the order key of the event that set it in billing_customers and billing_relations, which are never
// pruned. So an old event that arrives after its id is gone (a manual re-send from the provider's
// dashboard or API) is merged again and changes nothing: the newer values keep their greater keys.
// Two kinds of rows stay past the window:
// - the events of a billing customer still waiting for an email: the project page counts them until
//   the email arrives (nothing is dropped silently);
// - each connection's newest event: the page says when the last one came.
import { sql, type Kysely } from 'kysely'
import type { Database } from '../db/schema.js'

export const BILLING_EVENT_DAYS = 30

/** Rows one statement deletes at most, so a first run on a large table holds no long lock. */
const PRUNE_PER_STATEMENT = 10_000

/** Deletes the event ids recorded more than `days` ago (but the kinds above). Returns how many
 *  went. */
export async function pruneBillingEvents(
  db: Kysely<Database>,
  days = BILLING_EVENT_DAYS,
): Promise<number> {
  let total = 0
  for (;;) {
    const gone = await sql`
WITH newest AS (
  SELECT DISTINCT ON (connection_id) connection_id, event_id FROM billing_events
  ORDER BY connection_id, received_at DESC, event_id DESC
),
expired AS (
  SELECT e.connection_id, e.event_id FROM billing_events e
  WHERE e.received_at < now() - make_interval(days => ${days})
    AND (e.connection_id, e.event_id) NOT IN (SELECT connection_id, event_id FROM newest)
    AND NOT EXISTS (
      SELECT 1 FROM billing_customers b
      WHERE b.project_id = e.project_id AND b.provider = e.provider
        AND b.billing_customer_id = e.billing_customer_id AND b.email IS NULL)
  LIMIT ${PRUNE_PER_STATEMENT}
)
DELETE FROM billing_events d USING expired x
WHERE d.connection_id = x.connection_id AND d.event_id = x.event_id`.execute(db)
    const deleted = Number(gone.numAffectedRows ?? 0n)
    total += deleted
    if (deleted < PRUNE_PER_STATEMENT) return total
  }
}
