// The customers page's SQL on a big account: seeds 100,000 customers over 3 projects (every
// customer in 1–3 of them, ~184,000 relations with params), then times the page's two statements
// (rows + summary, as GET /customers sends them) for each kind of filter, p50/p95, and EXPLAINs
// the heaviest. `benchDashboard({ db, kind })` is what `npm run bench` calls; run alone:
//   npx tsx bench/dashboard.ts [--targets pglite,postgres] [--runs 15] [--customers 100000]
import { sql, type Kysely } from 'kysely'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { createAccount } from '../src/accounts/store.js'
import { createProject } from '../src/projects/store.js'
import { parseCustomerFilter } from '../src/customers/filter.js'
import { customersPage, rowsQuery, summaryQuery } from '../src/customers/query.js'
import type { Database } from '../src/db/schema.js'

export interface DashboardBenchOptions {
  db: Kysely<Database>
  kind: string
  customers?: number
  /** Timed runs per filter (after one warm-up). */
  runs?: number
  log?: (message: string) => void
}

export interface DashboardFilterResult {
  target: string
  filter: string
  query: string
  /** Customers in the segment. */
  count: number
  p50Ms: number
  p95Ms: number
  /** The rows statement alone (the table's page without its summary). */
  rowsP50Ms: number
  rowsP95Ms: number
  /** EXPLAIN (ANALYZE) of the filter's summary statement. */
  summaryPlan: string
}

export interface DashboardBenchResult {
  target: string
  customers: number
  relations: number
  seedSeconds: number
  results: DashboardFilterResult[]
  /** EXPLAIN ANALYZE of the heaviest filter's two statements. */
  heaviest: { filter: string; query: string; rowsPlan: string; summaryPlan: string }
}

/** One of each filter kind the page offers (the README's 14 questions and the sorts and paging). */
export const FILTER_KINDS: [string, string][] = [
  ['everyone (default sort)', ''],
  ['search q (email/name part)', 'q=user4242'],
  ['uses project', 'in=app-a'],
  ['uses project with status', 'in=app-b:paid'],
  ['uses all of two projects', 'in=app-a&in=app-b'],
  ['in A, not in B', 'in=app-a&not_in=app-b'],
  ['status anywhere', 'status=trial'],
  ['in 3+ projects', 'min_projects=3'],
  ['inactive 30 days', 'inactive=30&sort=last_activity'],
  ['active within 7 days', 'active=7'],
  ['inactive 30 days in one project', 'inactive=30@app-a'],
  ['first seen before, still free', 'seen_before=180d&status=free&not_status=paid,trial'],
  ['param equals (GIN)', 'p=source:eq:producthunt'],
  ['param equals + sum', 'p=plan:eq:pro&sum=mrr'],
  ['param number >=', 'p=app-a.mrr:gte:90'],
  ['param date between', 'p=trial_ends:between:2026-03-23,2026-03-29'],
  ['param boolean', 'p=beta:eq:true'],
  ['param contains', 'p=source:contains:hunt'],
  ['param exists', 'p=coupon:exists'],
  ['churned on A, paid on B', 'in=app-a:churned&in=app-b:paid'],
  ['sort by name', 'sort=name'],
  ['sort by email, page 2', 'sort=email&after=PAGE2'],
  ['combined heavy', 'in=app-a:free&in=app-b&p=plan:eq:pro&inactive=30&sum=mrr'],
]

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
  await sql`ANALYZE customers`.execute(db)
  await sql`ANALYZE customer_projects`.execute(db)
  const rel = await sql<{
    n: number
  }>`SELECT count(*)::int AS n FROM customer_projects WHERE account_id = ${accountId}`.execute(db)
  return { accountId, relations: Number(rel.rows[0]!.n) }
}

const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!
const round = (ms: number) => Math.round(ms * 10) / 10

async function explain(
  db: Kysely<Database>,
  query: ReturnType<typeof rowsQuery> | ReturnType<typeof summaryQuery>,
) {
  const { rows } = await sql<{
    'QUERY PLAN': string
  }>`EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) ${query}`.execute(db)
  return rows.map((r) => r['QUERY PLAN']).join('\n')
}

export async function benchDashboard(opts: DashboardBenchOptions): Promise<DashboardBenchResult> {
  const { db, kind } = opts
  const n = opts.customers ?? 100_000
  const runs = opts.runs ?? 15
  const log = opts.log ?? (() => {})
  log(`dashboard ${kind}: seeding ${n} customers`)
  const seedStarted = performance.now()
  const { accountId, relations } = await seed(db, n)
  const seedSeconds = round((performance.now() - seedStarted) / 1000)
  log(`dashboard ${kind}: ${relations} relations seeded in ${seedSeconds} s`)

  // A real cursor for the "page 2" filter: the first page's next link.
  const first = await customersPage(
    db,
    accountId,
    parseCustomerFilter(new URLSearchParams('sort=email')),
  )
  const results: DashboardFilterResult[] = []
  for (const [name, rawQuery] of FILTER_KINDS) {
    const query = rawQuery.replace('PAGE2', first.next ?? '')
    const filter = parseCustomerFilter(new URLSearchParams(query))
    const page = await customersPage(db, accountId, filter) // warm-up
    const times: number[] = []
    for (let i = 0; i < runs; i++) {
      const t0 = performance.now()
      await customersPage(db, accountId, filter)
      times.push(performance.now() - t0)
    }
    times.sort((x, y) => x - y)
    const rowsTimes: number[] = []
    for (let i = 0; i < runs; i++) {
      const t0 = performance.now()
      await rowsQuery(accountId, filter).execute(db)
      rowsTimes.push(performance.now() - t0)
    }
    rowsTimes.sort((x, y) => x - y)
    const r = {
      target: kind,
      filter: name,
      query: rawQuery.replace('PAGE2', '…'),
      count: page.summary.count,
      p50Ms: round(percentile(times, 50)),
      p95Ms: round(percentile(times, 95)),
      rowsP50Ms: round(percentile(rowsTimes, 50)),
      rowsP95Ms: round(percentile(rowsTimes, 95)),
      summaryPlan: await explain(db, summaryQuery(accountId, filter)),
    }
    log(
      `dashboard ${kind}: ${name}: p50 ${r.p50Ms} ms, p95 ${r.p95Ms} ms, rows alone p95 ` +
        `${r.rowsP95Ms} ms (${r.count} customers)`,
    )
    results.push(r)
  }
  const worst = [...results].sort((x, y) => y.p50Ms - x.p50Ms)[0]!
  const worstQuery = FILTER_KINDS.find(([name]) => name === worst.filter)![1].replace(
    'PAGE2',
    first.next ?? '',
  )
  const f = parseCustomerFilter(new URLSearchParams(worstQuery))
  return {
    target: kind,
    customers: n,
    relations,
    seedSeconds,
    results,
    heaviest: {
      filter: worst.filter,
      query: worst.query,
      rowsPlan: await explain(db, rowsQuery(accountId, f)),
      summaryPlan: await explain(db, summaryQuery(accountId, f)),
    },
  }
}

/** Standalone: a fresh PGlite in a temp dir and/or a throwaway PostgreSQL server. */
async function main() {
  const { values } = parseArgs({
    options: {
      targets: { type: 'string', default: 'pglite,postgres' },
      runs: { type: 'string', default: '15' },
      customers: { type: 'string', default: '100000' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  })
  if (values.help) {
    console.log(
      'Usage: npx tsx bench/dashboard.ts [--targets pglite,postgres] [--runs 15] [--customers 100000]',
    )
    return
  }
  const { mkdtempSync, rmSync } = await import('node:fs')
  const { tmpdir } = await import('node:os')
  const { join } = await import('node:path')
  const { openNodeDb } = await import('../src/db/node.js')
  const { startPostgres } = await import('../test/support/postgres-server.js')
  const log = (m: string) => console.error(`  … ${m}`)
  const all: DashboardBenchResult[] = []
  for (const target of values.targets.split(',')) {
    const cleanups: (() => Promise<void> | void)[] = []
    try {
      let node
      if (target === 'pglite') {
        const dir = mkdtempSync(join(tmpdir(), 'tinycrm-dash-'))
        cleanups.push(() => rmSync(dir, { recursive: true, force: true }))
        node = await openNodeDb({ dataDir: join(dir, 'data') })
      } else {
        const server = await startPostgres({ durable: true })
        cleanups.push(() => server.stop())
        node = await openNodeDb({ databaseUrl: server.url, migrate: true })
        log(server.version)
      }
      cleanups.push(() => node.close())
      all.push(
        await benchDashboard({
          db: node.db,
          kind: target,
          runs: Number(values.runs),
          customers: Number(values.customers),
          log,
        }),
      )
    } finally {
      for (const fn of cleanups.reverse()) await fn()
    }
  }
  for (const r of all) {
    console.log(
      `\n## ${r.target}: ${r.customers} customers, ${r.relations} relations (seeded in ${r.seedSeconds} s)`,
    )
    console.table(
      r.results.map(({ filter, query, count, p50Ms, p95Ms, rowsP95Ms }) => ({
        filter,
        query,
        count,
        p50Ms,
        p95Ms,
        rowsP95Ms,
      })),
    )
    for (const f of r.results)
      console.log(`\n-- summary of ${f.query || '(everyone)'}\n${f.summaryPlan}`)
    console.log(
      `\nHeaviest: ${r.heaviest.filter} (${r.heaviest.query})\n-- rows\n${r.heaviest.rowsPlan}\n-- summary\n${r.heaviest.summaryPlan}`,
    )
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) await main()
