// What the real-PostgreSQL races of billing against merges, undo and erasure check afterwards: that
// the billing state of an account is whole. A billing relation row (billing_relations) belongs to
// a live customer, its email or one of its aliases, with a relation in that project; a billing
// customer linked to an email has that email's billing row; and each customer's relation says
// what its family's billing rows say (the status of the best subscription, `mrr` the sum of the
// paying ones), as the next billing event would write it. A model of the subset these races send
// (one currency of two decimals, subscriptions with a known amount, no refunds), not of
// ../../src/billing/apply.ts as a whole: ./billing-model.ts is that.
import { sql, type Kysely } from 'kysely'
import type { Database } from '../../src/db/schema.js'

const RANK: Record<string, number> = { paid: 3, trial: 2, churned: 1 }

type Subscriptions = Record<string, { status?: { v: string | null }; mrr?: { v: number | null } }>

/** The status and mrr the subscriptions of a family's billing rows give. */
export function familyState(rows: Subscriptions[]) {
  const subs = rows.flatMap((s) => Object.values(s)).filter((s) => s.status)
  const best = subs.reduce((b, s) => Math.max(b, RANK[s.status!.v ?? ''] ?? 0), 0)
  const paid = subs.filter((s) => s.status!.v === 'paid')
  const status = Object.keys(RANK).find((k) => RANK[k] === best) ?? null
  // No subscription at all (a billing customer known by its email only): no `mrr` param.
  const mrr = subs.length
    ? Math.round(paid.reduce((sum, s) => sum + (s.mrr?.v ?? 0), 0)) / 100
    : null
  return { status, mrr }
}

/** Every way the account's billing state is not whole, as sentences (none: whole). `emails`
 *  limits the check to those emails' customers and rows (a trial's). */
export async function billingMismatches(
  db: Kysely<Database>,
  accountId: number,
  emails: string[],
): Promise<string[]> {
  const problems: string[] = []
  const { rows: orphans } = await sql<{ project_id: number; email: string }>`
    SELECT b.project_id, b.email FROM billing_relations b JOIN projects p ON p.id = b.project_id
    WHERE p.account_id = ${accountId} AND b.email = ANY (${emails}::text[])
      AND NOT EXISTS (SELECT 1 FROM customers c
        JOIN customer_projects r ON r.customer_id = COALESCE(c.merged_into, c.id)
          AND r.project_id = b.project_id
        WHERE c.account_id = ${accountId} AND c.email = b.email)`.execute(db)
  for (const o of orphans) {
    problems.push(`billing row of ${o.email} in project ${o.project_id}: no customer's relation`)
  }
  const { rows: unlinked } = await sql<{ project_id: number; email: string; id: string }>`
    SELECT b.project_id, b.email, b.billing_customer_id AS id FROM billing_customers b
    JOIN projects p ON p.id = b.project_id
    WHERE p.account_id = ${accountId} AND b.email = ANY (${emails}::text[])
      AND NOT EXISTS (SELECT 1 FROM billing_relations r
        WHERE r.project_id = b.project_id AND r.email = b.email)`.execute(db)
  for (const u of unlinked) {
    problems.push(`billing customer ${u.id} linked to ${u.email}: no billing row of that email`)
  }
  // Each live customer's relations against its family's billing rows, per project.
  const { rows: families } = await sql<{
    email: string
    project_id: number
    status: string
    params: { mrr?: number }
    subscriptions: Subscriptions[]
  }>`
    SELECT s.email, r.project_id, r.status, r.params,
      array_agg(b.subscriptions ORDER BY b.email) AS subscriptions
    FROM customers s
    JOIN customers f ON f.account_id = s.account_id AND (f.id = s.id OR f.merged_into = s.id)
    JOIN billing_relations b ON b.email = f.email
    JOIN customer_projects r ON r.customer_id = s.id AND r.project_id = b.project_id
    WHERE s.account_id = ${accountId} AND s.merged_into IS NULL AND f.email = ANY (${emails}::text[])
    GROUP BY s.email, r.project_id, r.status, r.params`.execute(db)
  for (const f of families) {
    const want = familyState(f.subscriptions)
    const got = { status: f.status, mrr: f.params.mrr ?? null }
    if (got.status !== (want.status ?? 'free') || got.mrr !== want.mrr) {
      problems.push(
        `${f.email} in project ${f.project_id}: ${JSON.stringify(got)}, its billing rows say ` +
          JSON.stringify(want),
      )
    }
  }
  return problems
}
