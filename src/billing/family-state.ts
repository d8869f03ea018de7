// What a family's billing rows say a relation is: the one place that knows that SQL. A customer's
// family is the customer and every email merged into it; each email keeps its own billing row per
// project (billing_relations), and the subscriptions of all of them are the customer's. A billing
// event (./apply.ts) computes it for the one family and project it touches; a merge and its undo
// (../merges/store.ts) for the customers they change, in every project where those have billing
// rows (familyBillingStatement).
import { sql, type CompiledQuery, type Kysely, type RawBuilder } from 'kysely'
import type { Database } from '../db/schema.js'
import { familyIds } from '../db/lock-order.js'

/**
 * The CTEs that turn `b_family` (owner, project_id, subscriptions, latest_at: the family's billing
 * rows, `owner` telling families apart) into `b_state` (owner, project_id, stamp, status, patch):
 * one row per owner and project, the relation's status (null: none to write) and params.
 * `customer`: the billing customer id of the event being applied, written as
 * `billing_customer_id` when the primary subscription names none; null when no event is (a merge):
 * the key is then written only when the primary names one.
 */
export function familyStateCtes(customer: RawBuilder<unknown> | null) {
  // b_refunded: A one-time purchase refunded in full reads as churned (billing_status refunded, no
  //   amount) whatever came before or after: the refund stays. An entry with no status is no
  //   subscription (a refund naming a payment of none: refundedPurchase in ./events.ts) and is
  //   skipped.
  // b_subs' amount: null when neither the subscription's events nor a paid invoice
  //   say its amount.
  // b_primary: The subscription that speaks for the customer: the best status (paid, trial,
  //   churned), then the largest amount, then the latest change.
  // b_state's stamp: the time of what the row says: the newest event seen for this
  //   person, whichever event brought the row (one that arrived late is already merged in).
  // b_state's mrr: paying subscriptions in the primary's currency, summed, then rounded once;
  //   removed (JSON null) while one of them has no known amount, rather than a sum that looks
  //   right.
  const customerParam = customer
    ? sql`jsonb_build_object('billing_customer_id',
        COALESCE(p.state -> 'customer' -> 'v', to_jsonb(${customer}::text)))`
    : sql`jsonb_strip_nulls(jsonb_build_object('billing_customer_id', p.state -> 'customer' -> 'v'))`
  const noSubscription = customer
    ? sql`jsonb_build_object('billing_customer_id', ${customer}::text)`
    : sql`'{}'::jsonb`
  return sql`
b_refunded AS (
  SELECT r.owner, r.project_id, s.key AS id,
    s.value || CASE WHEN s.value -> 'refunded' ->> 'v' = 'true'
      THEN jsonb_build_object(
        'status', jsonb_build_object('v', 'churned', 'at', s.value -> 'refunded' -> 'at'),
        'billing_status', jsonb_build_object('v', 'refunded'),
        'mrr', jsonb_build_object('v', 0))
      ELSE '{}'::jsonb END AS value
  FROM b_family r, jsonb_each(r.subscriptions) AS s
  WHERE s.value ? 'status'
),
b_subs AS (
  SELECT s.owner, s.project_id, s.id, s.value AS state,
    s.value -> 'status' ->> 'v' AS status,
    CASE s.value -> 'status' ->> 'v'
      WHEN 'paid' THEN 3 WHEN 'trial' THEN 2 WHEN 'churned' THEN 1 ELSE 0 END AS rank,
    COALESCE((s.value -> 'mrr' ->> 'v')::numeric, (s.value -> 'invoiced_mrr' ->> 'v')::numeric)
      AS mrr,
    s.value -> 'currency' ->> 'v' AS currency,
    COALESCE((s.value -> 'digits' ->> 'v')::int, 2) AS digits,
    s.value -> 'status' ->> 'at' AS status_at
  FROM b_refunded s
),
b_primary AS (
  SELECT DISTINCT ON (owner, project_id) * FROM b_subs
  ORDER BY owner, project_id, rank DESC, mrr DESC NULLS LAST, status_at COLLATE "C" DESC NULLS LAST,
    id COLLATE "C"
),
b_state AS (
  SELECT f.owner, f.project_id, f.stamp,
    CASE WHEN p.rank > 0 THEN p.status END AS status,
    CASE WHEN p.id IS NULL THEN ${noSubscription}
      ELSE jsonb_build_object(
        'billing_status', p.state -> 'billing_status' -> 'v',
        'plan', p.state -> 'plan' -> 'v',
        'mrr', to_jsonb((
          SELECT CASE WHEN bool_or(s.mrr IS NULL) THEN NULL ELSE
            round(COALESCE(round(sum(s.mrr)), 0) / power(10::numeric, p.digits), p.digits) END
          FROM b_subs s
          WHERE s.owner = f.owner AND s.project_id = f.project_id
            AND s.status = 'paid' AND s.currency IS NOT DISTINCT FROM p.currency)),
        'currency', p.state -> 'currency' -> 'v',
        'trial_ends', p.state -> 'trial_ends' -> 'v',
        'cancel_at', p.state -> 'cancel_at' -> 'v') || ${customerParam}
    END AS patch
  FROM (SELECT owner, project_id, max(latest_at) AS stamp FROM b_family GROUP BY owner, project_id) f
  LEFT JOIN b_primary p ON p.owner = f.owner AND p.project_id = f.project_id
)`
}

/**
 * Writes onto the relations of the live customers `owners` (a SELECT of their ids, `id`) what
 * their families' billing rows say, in every project where they have some: as a billing event of
 * theirs would (newest wins, stamped with the family's newest billing time), with `source`. Only a
 * relation it changes is written. The billing rows are locked first, after the customers: the
 * statement before it in the transaction holds those (tombstones first, then by email), the order
 * billing events, identify and erasures lock them in too.
 */
export function familyBillingStatement(
  db: Kysely<Database>,
  accountId: number,
  owners: RawBuilder<unknown>,
  source: 'merge' | 'undo',
): CompiledQuery {
  // b_next: the relation as the billing write leaves it (src/ingest/statement.ts's `rel`, for a
  //   row with no activity): the status when not older than the stored one's, each param key by
  //   relation_patch.
  return sql`
WITH b_owners AS (
  SELECT c.id FROM customers c
  WHERE c.account_id = ${accountId} AND c.merged_into IS NULL AND c.id IN (${owners})
),
b_family AS (
  SELECT o.id AS owner, b.project_id, b.subscriptions, b.latest_at
  FROM b_owners o
  JOIN customers f ON f.account_id = ${accountId} AND f.id = ANY(${familyIds(sql`o.id`)})
  JOIN projects j ON j.account_id = ${accountId}
  JOIN billing_relations b ON b.project_id = j.id AND b.email = f.email
  ORDER BY b.project_id, b.email
  FOR UPDATE OF b
),
${familyStateCtes(null)},
b_next AS (
  SELECT r.customer_id, r.project_id,
    CASE WHEN n.newer THEN s.status ELSE r.status END AS status,
    CASE WHEN n.newer THEN s.stamp ELSE r.status_at END AS status_at,
    p.new_params AS params, p.new_params_at AS params_at
  FROM b_state s
  JOIN customer_projects r ON r.customer_id = s.owner AND r.project_id = s.project_id
  CROSS JOIN LATERAL (SELECT s.status IS NOT NULL
    AND (r.status_at IS NULL OR s.stamp >= r.status_at) AS newer) n
  CROSS JOIN LATERAL relation_patch(r.params, r.params_at, s.patch, '{}'::jsonb,
    extract(epoch FROM s.stamp), true, NULL) p
),
written AS (
  UPDATE customer_projects r SET status = x.status, status_at = x.status_at, params = x.params,
    params_at = x.params_at, source = ${source}, updated_at = now()
  FROM b_next x
  WHERE r.customer_id = x.customer_id AND r.project_id = x.project_id
    AND (r.status, r.status_at, r.params, r.params_at)
      IS DISTINCT FROM (x.status, x.status_at, x.params, x.params_at)
  RETURNING r.project_id
)
SELECT count(*)::int AS written FROM written`.compile(db)
}
