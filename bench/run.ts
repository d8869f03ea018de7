// `npm run bench`: the ingest API's throughput and latency over HTTP against the real Node server,
// on PGlite and on a local PostgreSQL, printed as a table and saved to bench-results/<time>.json.
// Options: --targets pglite,postgres  --only identify,batch  --duration <seconds a run, default 5>
//          --pg-fsync off (take the disk out of Postgres' figures)
import { execFileSync } from 'node:child_process'
import { mkdirSync, writeFileSync } from 'node:fs'
import { cpus, totalmem } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import type { Bench, BenchResult } from './bench.js'
import { batchBench } from './batch.js'
import { identifyBench } from './identify.js'
import { TARGETS, startTarget, type TargetName } from './targets.js'

const BENCHES: Bench[] = [identifyBench, batchBench]

const { values } = parseArgs({
  options: {
    targets: { type: 'string', default: TARGETS.join(',') },
    only: { type: 'string', default: BENCHES.map((b) => b.name).join(',') },
    duration: { type: 'string', default: '5' },
    'pg-fsync': { type: 'string', default: 'on' },
  },
})
const targets = values.targets.split(',').map((t) => t.trim()) as TargetName[]
for (const t of targets) {
  if (!TARGETS.includes(t)) throw new Error(`unknown target '${t}' (${TARGETS})`)
}
const wanted = values.only.split(',').map((b) => b.trim())
const benches = BENCHES.filter((b) => wanted.includes(b.name))
if (benches.length === 0) throw new Error(`--only names none of: ${BENCHES.map((b) => b.name)}`)
const durationMs = Number(values.duration) * 1000
if (!(durationMs > 0)) throw new Error('--duration must be a number of seconds')

const log = (message: string) => console.error(`  … ${message}`)
const mb = (bytes: number) => Math.round(bytes / 1024 / 1024)
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

const started = Date.now()
const results: BenchResult[] = []
const servers: { target: string; database: string; rssAtRestMb: number; rssAfterMb: number }[] = []
for (const name of targets) {
  log(`starting ${name}`)
  const target = await startTarget(name, { postgresFsync: values['pg-fsync'] !== 'off' })
  try {
    await sleep(500)
    const rssAtRestMb = mb(target.rss())
    for (const bench of benches) results.push(...(await bench.run({ target, durationMs, log })))
    const rssAfterMb = mb(target.rss())
    servers.push({ target: name, database: target.database, rssAtRestMb, rssAfterMb })
  } finally {
    await target.stop()
  }
}

console.log()
console.table(
  results.map((r) => ({
    bench: r.bench,
    target: r.target,
    conc: r.concurrency,
    'req/s': r.requestsPerSec,
    'rows/s': r.rowsPerSec ?? '',
    'p50 ms': r.p50Ms,
    'p95 ms': r.p95Ms,
    'p99 ms': r.p99Ms,
    requests: r.requests,
    errors: r.errors,
  })),
)
console.table(servers)
for (const r of results) {
  if (!r.errorSamples) continue
  console.error(`${r.bench} ${r.target} c=${r.concurrency} errors:`, r.errorSamples)
}

const root = fileURLToPath(new URL('..', import.meta.url))
const commit = (() => {
  try {
    return execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: root, encoding: 'utf8' })
      .trim()
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
  },
  options: {
    targets,
    benches: benches.map((b) => b.name),
    durationMs,
    pgFsync: values['pg-fsync'],
  },
  servers,
  results,
  totalSeconds: Math.round((Date.now() - started) / 1000),
}
const dir = join(root, 'bench-results')
mkdirSync(dir, { recursive: true })
const file = join(dir, `${report.date.replace(/[:.]/g, '-')}.json`)
writeFileSync(file, JSON.stringify(report, null, 2) + '\n')
console.log(`\n${report.totalSeconds} s; results written to bench-results/${file.split('/').pop()}`)
