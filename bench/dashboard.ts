// The customers page's SQL on a big account: seeds 100,000 customers over 3 projects (every
// customer in 1–3 of them, ~184,000 relations with params), then times the page's two statements
// (rows + summary, as GET /customers sends them) for each kind of filter, p50/p95, and EXPLAINs
// the heaviest. `benchDashboard({ db, kind })` is what `npm run bench` calls; run alone:
//   npx tsx bench/dashboard.ts [--targets pglite,postgres] [--runs 15] [--customers 100000]
//   npx tsx bench/dashboard.ts --database-url postgres://… [--only 'uses project,min']
// With --database-url (a server you started, migrated by the run) the seeded account is kept and
// reused by the next run of the same --customers: seeding 544,000 takes minutes, timing does not.
import { sql, type Kysely } from 'kysely'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { parseCustomerFilter } from '../src/customers/filter.js'
import { knownProjectIds } from '../src/customers/project-ids.js'
import { customersPage, rowsQuery, summaryQuery } from '../src/customers/query.js'
import type { Database } from '../src/db/schema.js'
import { seed, seededAccount } from './dashboard-seed.js'

export interface DashboardBenchOptions {
  db: Kysely<Database>
  kind: string
  customers?: number
  /** Timed runs per filter (after one warm-up). */
  runs?: number
  /** Reuse an account a previous run seeded with as many customers (a kept database). */
  reuse?: boolean
  /** Only the filter kinds whose name contains one of these. */
  only?: string[]
  log?: (message: string) => void
}

export interface DashboardFilterResult {
  target: string
  filter: string
  query: string
  /** Customers in the segment: "about" when it is an estimate (past 100,000). */
  count: string
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

/** One of each filter kind the page offers, the sorts and paging, and every URL of the README's 14
 *  questions (those the kinds above them do not already send as written, marked "README n"). */
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
  ['README 3: in 2+ projects', 'min_projects=2'],
  ['README 5: free on A, paid on B', 'in=app-a:free&in=app-b:paid'],
  ['README 6: trial in one project', 'in=app-b:trial'],
  ['README 7: inactive in one project, least recent first', 'inactive=30@app-a&sort=last_activity'],
  ['README 8: seen 14 days ago, still free', 'seen_before=14d&status=free&not_status=paid,trial'],
  ['README 8: the same in one project', 'in=app-a:free&seen_before=14d@app-a'],
  ['README 12: churned on A, a customer of B', 'in=app-a:churned&in=app-b:free,trial,paid'],
  ['README 12: churned on A, active on B', 'in=app-a:churned&active=30@app-b'],
  ['README 13: admins', 'p=role:eq:admin'],
  ['README 14: search', 'q=alex'],
]

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
  const seedStarted = performance.now()
  const seeded = (opts.reuse && (await seededAccount(db, n))) || undefined
  if (!seeded) log(`dashboard ${kind}: seeding ${n} customers`)
  const { accountId, relations } = seeded ?? (await seed(db, n))
  const seedSeconds = round((performance.now() - seedStarted) / 1000)
  log(
    `dashboard ${kind}: ${relations} relations ${seeded ? 'reused' : 'seeded'} in ${seedSeconds} s`,
  )

  // A real cursor for the "page 2" filter: the first page's next link.
  const first = await customersPage(
    db,
    accountId,
    parseCustomerFilter(new URLSearchParams('sort=email')),
  )
  const results: DashboardFilterResult[] = []
  const kinds = FILTER_KINDS.filter(
    ([name]) => !opts.only?.length || opts.only.some((part) => name.includes(part)),
  )
  for (const [name, rawQuery] of kinds) {
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
    // The rows statement as the page sends it: with the project ids its earlier pages saw.
    const projectIds = knownProjectIds(accountId)
    const rowsTimes: number[] = []
    for (let i = 0; i < runs; i++) {
      const t0 = performance.now()
      await rowsQuery(accountId, filter, projectIds).execute(db)
      rowsTimes.push(performance.now() - t0)
    }
    rowsTimes.sort((x, y) => x - y)
    const r = {
      target: kind,
      filter: name,
      query: rawQuery.replace('PAGE2', '…'),
      count: `${page.summary.exact ? '' : 'about '}${page.summary.count}`,
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
      rowsPlan: await explain(db, rowsQuery(accountId, f, knownProjectIds(accountId))),
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
      'database-url': { type: 'string' },
      only: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  })
  if (values.help) {
    console.log(
      'Usage: npx tsx bench/dashboard.ts [--targets pglite,postgres] [--runs 15] [--customers 100000]\n' +
        '       [--database-url postgres://… (a kept database: its seeded account is reused)]\n' +
        "       [--only 'name part,name part' (only these filter kinds)]",
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
  const url = values['database-url']
  for (const target of url ? ['postgres'] : values.targets.split(',')) {
    const cleanups: (() => Promise<void> | void)[] = []
    try {
      let node
      if (target === 'pglite') {
        const dir = mkdtempSync(join(tmpdir(), 'tinycrm-dash-'))
        cleanups.push(() => rmSync(dir, { recursive: true, force: true }))
        node = await openNodeDb({ dataDir: join(dir, 'data') })
      } else if (url) {
        node = await openNodeDb({ databaseUrl: url, migrate: true })
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
          reuse: Boolean(url),
          only: values.only?.split(','),
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
