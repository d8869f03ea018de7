// `npm run bench`: ingest throughput and latency of the real Node server over HTTP, beside the raw
// limit (the same SQL sent straight to the database), billing webhook latency, the Worker under
// workerd through Neon's HTTP driver, and the dashboard's customers query per filter kind — on the
// embedded PGlite and on a local PostgreSQL. Prints one table per section and a ratios table;
// writes bench-results/<time>.json. `npm run bench -- --help` lists the sections and options.
import { execFileSync } from 'node:child_process'
import { mkdirSync, writeFileSync } from 'node:fs'
import { cpus, loadavg, totalmem } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { openNodeDb } from '../src/db/node.js'
import { TIDY_TIMING, tidyTables } from '../src/db/pglite-tidy.js'
import { batchApiAndRaw } from './batch.js'
import { apiBilling } from './billing.js'
import type { BenchResult } from './bench.js'
import { benchDashboard, type DashboardBenchResult } from './dashboard.js'
import { identifyApiAndRaw, warmServer } from './identify.js'
import { rawBatchOps, rawIdentifyOp } from './raw.js'
import { printReport } from './report.js'
import { benchStartup, type StartupRun } from './startup.js'
import { TARGETS, startTarget, type TargetName } from './targets.js'
import { bundleWorker, workerIdentify, type WorkerBundle, type WorkerRun } from './worker.js'

/** The sections, in the order they run, with what each measures (printed by --help). */
const SECTION_HELP: Record<string, string> = {
  startup: '`npm start` on a fresh PGlite data dir, then twice warm: the wait to "ready"',
  identify: 'POST /v1/identify at concurrency 1, 16, 64 (API and raw statement); server RSS',
  batch: 'POST /v1/batch, 1,000 new customers a request, c=1 and c=4 (API, raw, plain unnest)',
  billing: 'signed Stripe webhook events at c=1 and c=16',
  worker: 'the Worker bundle (size raw/gzipped) and identify under workerd via Neon HTTP',
  dashboard: 'the customers page for each filter kind, p50/p95, and EXPLAIN of the heaviest',
}
const SECTIONS = Object.keys(SECTION_HELP)

const USAGE = `Usage: npm run bench -- [options]

Measures TinyCRM on this machine and prints one table per section; the figures and the machine go
to bench-results/<time>.json. See bench/README.md.

Sections (--only):
${SECTIONS.map((s) => `  ${s.padEnd(10)} ${SECTION_HELP[s]}`).join('\n')}
  The Node server's memory (RSS at rest, peak at c=64) is reported whenever identify runs.

Options:
  --targets <list>     databases, comma-separated: ${TARGETS.join(',')} (default: both)
  --only <list>        sections, comma-separated (default: all)
  --duration <s>       seconds per timed run (default 5; 10 with --full)
  --customers <n>      customers the dashboard section seeds (default 20000; 544000 with --full,
                       about 1,000,000 customer-project rows)
  --runs <n>           timed runs per dashboard filter (default 15)
  --full               the issue's sizes: 10 s runs and 544,000 dashboard customers
  --pg-fsync on|off    fsync of the throwaway PostgreSQL server (default on)
  -h, --help           this text

Examples:
  npm run bench -- --targets postgres --only identify,batch --duration 3
  npm run bench -- --only dashboard --customers 100000
`

let parsed
try {
  parsed = parseArgs({
    options: {
      targets: { type: 'string', default: TARGETS.join(',') },
      only: { type: 'string', default: SECTIONS.join(',') },
      duration: { type: 'string' },
      customers: { type: 'string' },
      runs: { type: 'string', default: '15' },
      full: { type: 'boolean', default: false },
      'pg-fsync': { type: 'string', default: 'on' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  })
} catch (err) {
  usageError((err as Error).message)
}
const { values } = parsed
if (values.help) {
  console.log(USAGE)
  process.exit(0)
}

/** A wrong option or value: say which and why, then the usage, without a stack trace. */
function usageError(message: string): never {
  console.error(`${message}\n\n${USAGE}`)
  process.exit(2)
}
const targets = values.targets.split(',').map((t) => t.trim()) as TargetName[]
for (const t of targets) {
  if (!TARGETS.includes(t)) usageError(`--targets: unknown target '${t}' (${TARGETS})`)
}
const wanted = new Set(values.only.split(',').map((b) => b.trim()))
for (const w of wanted) if (!SECTIONS.includes(w)) usageError(`--only: unknown section '${w}'`)
const durationMs = Number(values.duration ?? (values.full ? 10 : 5)) * 1000
if (!(durationMs > 0)) usageError('--duration must be a number of seconds above 0')
const customers = Number(values.customers ?? (values.full ? 544_000 : 20_000))
if (!Number.isInteger(customers) || customers <= 0)
  usageError('--customers must be a whole number above 0')
const runs = Number(values.runs)
if (!Number.isInteger(runs) || runs <= 0) usageError('--runs must be a whole number above 0')
if (values['pg-fsync'] !== 'on' && values['pg-fsync'] !== 'off')
  usageError('--pg-fsync must be on or off')

const log = (message: string) => console.error(`  … ${message}`)
const mb = (bytes: number) => Math.round(bytes / 1024 / 1024)
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

export interface ServerMemory {
  target: string
  database: string
  rssAtRestMb: number
  rssPeakC64Mb?: number
  rssAfterMb: number
}

const started = Date.now()
// The machine is shared: the load before and after says how much the figures can be trusted.
const loadBefore = loadavg().map((l) => Math.round(l * 100) / 100)
const results: BenchResult[] = []
const servers: ServerMemory[] = []
const workers: (WorkerRun & { target: string })[] = []
const dashboards: DashboardBenchResult[] = []
let bundle: WorkerBundle | undefined
let startup: StartupRun[] | undefined
try {
  if (wanted.has('startup')) startup = await benchStartup(log)
  if (wanted.has('worker')) {
    log('bundling the Worker (wrangler deploy --dry-run)')
    bundle = bundleWorker()
  }
  // startup brings its own server and data dir; the rest run on each target.
  const onTargets = [...wanted].some((w) => w !== 'startup')
  for (const name of onTargets ? targets : []) {
    log(`starting ${name}`)
    const target = await startTarget(name, { postgresFsync: values['pg-fsync'] !== 'off' })
    try {
      const ctx = { target, durationMs, log }
      await sleep(500)
      const rssAtRestMb = mb(target.rss())
      // The raw sides' database, open beside the server: identify's and batch's sides take turns.
      const node = await openNodeDb(target.rawDbOptions)
      // As often as the server's timer, but only after the raw sides' own windows (./load.ts inTurn).
      let tidied = performance.now()
      const tidy = async () => {
        if (!node.pglite || performance.now() - tidied < TIDY_TIMING.everyMs) return
        tidied = performance.now()
        await tidyTables(node.pglite)
      }
      try {
        if (['identify', 'batch', 'billing'].some((s) => wanted.has(s))) await warmServer(ctx)
        if (wanted.has('identify')) {
          const op = await rawIdentifyOp(node.db, target.keys)
          results.push(...(await identifyApiAndRaw(ctx, { op, tidy })))
        }
        if (wanted.has('batch')) {
          const ops = await rawBatchOps(node.db, target.keys)
          results.push(...(await batchApiAndRaw(ctx, { ops, tidy })))
        }
        if (wanted.has('billing')) results.push(...(await apiBilling(ctx)))
        const peak = results.find(
          (r) => r.target === name && r.side === 'api' && r.concurrency === 64,
        )
        servers.push({
          target: name,
          database: target.database,
          rssAtRestMb,
          rssPeakC64Mb: peak?.rssPeakMb,
          rssAfterMb: mb(target.rss()),
        })
        // The rest runs in the bench process alone.
        await target.stopServer()
        if (bundle) {
          const run = await workerIdentify({
            bundle,
            pglite: node.pglite,
            pool: node.pool,
            target: name,
            keys: target.keys,
            durationMs,
            log,
          })
          workers.push({ target: name, ...run })
          results.push(...run.results)
        }
        if (wanted.has('dashboard')) {
          dashboards.push(
            await benchDashboard({
              db: node.db,
              kind: name,
              customers,
              runs,
              log,
            }),
          )
        }
      } finally {
        await node.close()
      }
    } finally {
      await target.stop()
    }
  }
} finally {
  bundle?.remove()
}

const root = fileURLToPath(new URL('..', import.meta.url))
const commit = (() => {
  try {
    return execFileSync('git', ['rev-parse', '--short', 'HEAD'], {
      cwd: root,
      encoding: 'utf8',
    }).trim()
  } catch {
    return undefined
  }
})()
const report = {
  date: new Date(started).toISOString(),
  commit,
  machine: {
    node: process.version,
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model,
    memoryMb: mb(totalmem()),
    platform: `${process.platform}-${process.arch}`,
    loadAverageBefore: loadBefore,
    loadAverageAfter: loadavg().map((l) => Math.round(l * 100) / 100),
  },
  options: {
    targets,
    sections: [...wanted],
    durationMs,
    dashboardCustomers: customers,
    full: values.full,
    pgFsync: values['pg-fsync'],
  },
  startup,
  servers,
  results,
  worker: bundle && {
    bundleRawKb: bundle.rawKb,
    bundleGzipKb: bundle.gzipKb,
    bundleGzipBytes: bundle.gzipBytes,
    bundleSeconds: bundle.bundleSeconds,
    runs: workers,
  },
  dashboards,
  totalSeconds: Math.round((Date.now() - started) / 1000),
}
printReport(report)
const dir = join(root, 'bench-results')
mkdirSync(dir, { recursive: true })
const file = join(dir, `${report.date.replace(/[:.]/g, '-')}.json`)
writeFileSync(file, JSON.stringify(report, null, 2) + '\n')
console.log(`\n${report.totalSeconds} s; results written to bench-results/${file.split('/').pop()}`)

export type Report = typeof report
