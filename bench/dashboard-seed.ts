// The dashboard bench's data: one account with 3 projects and `n` customers (every customer in
// 1–3 of them, ≈ 1.84 relations each, with params), seeded by INSERT … SELECT; and the account an
// earlier run seeded, when the database was kept (`--database-url`).
import { sql, type Kysely } from 'kysely'
import { createAccount } from '../src/accounts/store.js'
import { createProject } from '../src/projects/store.js'
import type { Database } from '../src/db/schema.js'

const SOURCES = ['producthunt', 'twitter', 'google', 'hn', 'newsletter', 'friend']
const PLANS = ['free', 'starter', 'pro', 'team']

/** Seeds one account with 3 projects and `n` customers in three INSERT … SELECT statements. The
 *  values are pure functions of the row number, so every run seeds the same data. */
export async function seed(db: Kysely<Database>, n: number) {
  const { accountId } = await createAccount(db, {
    email: `dashboard-bench-${Date.now()}@example.com`,
    password: 'bench password',
  })
  const projects = []
  for (const name of ['App A', 'App B', 'App C']) {
    projects.push((await createProject(db, { accountId, name })).project)
  }
  await sql`
INSERT INTO customers (account_id, email, name, created_at, last_activity_at)
SELECT ${accountId}, 'user' || g || '@' || (ARRAY['gmail.com','acme.io','example.com','fastmail.com'])[1 + g % 4],
  CASE WHEN g % 7 = 0 THEN NULL ELSE 'User ' || g END,
  now() - make_interval(days => (1 + (g::bigint * 7919) % 400)::int),
  now() - make_interval(days => ((g::bigint * 104729) % 120)::int, secs => g % 86400)
FROM generate_series(1, ${n}) AS g`.execute(db)
  const [a, b, c] = projects.map((p) => p.id) as [number, number, number]
  // Membership: A for 80%, B for 55%, C for 35% of customers, and at least one of them each.
  await sql`
INSERT INTO customer_projects (customer_id, project_id, account_id, status, params, first_seen_at, last_activity_at)
SELECT x.id, x.project_id, ${accountId},
  (ARRAY['free','free','trial','paid','paid','churned'])[1 + (x.id * 31 + x.project_id * 17) % 6],
  jsonb_build_object(
    'plan', (${sql.val(PLANS)}::text[])[1 + (x.id + x.project_id) % 4],
    'mrr', (x.id * 13 + x.project_id) % 100,
    'source', (${sql.val(SOURCES)}::text[])[1 + x.id % 6],
    'beta', x.id % 9 = 0,
    'trial_ends', to_char(date '2026-03-01' + ((x.id * 3) % 60)::int, 'YYYY-MM-DD'))
  || CASE WHEN x.id % 11 = 0 THEN jsonb_build_object('coupon', 'LAUNCH') ELSE '{}'::jsonb END,
  x.created_at, x.last_activity_at - make_interval(days => ((x.id + x.project_id) % 3 * 10)::int)
FROM (
  SELECT c.id, c.created_at, c.last_activity_at, p.project_id
  FROM customers c
  CROSS JOIN LATERAL (VALUES (${a}::bigint, 80), (${b}::bigint, 55), (${c}::bigint, 35)) AS p(project_id, pct)
  WHERE c.account_id = ${accountId}
    AND ((c.id * 2654435761 + p.project_id * 40503) % 100 < p.pct OR (p.project_id = ${a}::bigint AND
      (c.id * 2654435761 + ${b}::bigint * 40503) % 100 >= 55 AND (c.id * 2654435761 + ${c}::bigint * 40503) % 100 >= 35))
) x`.execute(db)
  // As a bulk insert leaves them minutes later: vacuumed (autovacuum on PostgreSQL, the server's
  // tidy check on PGlite, past 1,000 + a fifth of the rows inserted) and analysed. Until then a
  // GIN index reads its pending list on every search: q=user4242 over 20,000 customers on PGlite
  // took 55–57 ms a page before the VACUUM, 7.4–7.5 after (src/db/pglite-tidy.ts).
  await sql`VACUUM (ANALYZE) customers`.execute(db)
  await sql`VACUUM (ANALYZE) customer_projects`.execute(db)
  const rel = await sql<{
    n: number
  }>`SELECT count(*)::int AS n FROM customer_projects WHERE account_id = ${accountId}`.execute(db)
  return { accountId, relations: Number(rel.rows[0]!.n) }
}

/** The account an earlier run seeded with `n` customers, if the database kept one. */
export async function seededAccount(db: Kysely<Database>, n: number) {
  const { rows } = await sql<{ account_id: number; relations: number }>`
SELECT a.id AS account_id,
  (SELECT count(*) FROM customer_projects r WHERE r.account_id = a.id)::int AS relations
FROM accounts a
WHERE a.name LIKE 'dashboard-bench-%'
  AND (SELECT count(*) FROM customers c WHERE c.account_id = a.id) = ${n}
ORDER BY a.id DESC LIMIT 1`.execute(db)
  const row = rows[0]
  return row && { accountId: Number(row.account_id), relations: Number(row.relations) }
}
