// Prints the bench report: one table per section, the API/raw ratios against the goals,
// memory, the Worker's bundle and start-up, the dashboard filters and the heaviest one's EXPLAIN.
import type { BenchResult } from './bench.js'
import type { Report } from './run.js'

/** Issue 14's floors for API/raw: identify ≥ 0.5 at concurrency 1 and ≥ 0.8 at 16; batch ≥ 0.85. */
function goalOf(bench: string, concurrency: number): number | undefined {
  if (bench === 'identify') return concurrency === 1 ? 0.5 : concurrency === 16 ? 0.8 : undefined
  return bench.startsWith('batch') ? 0.85 : undefined
}

const ms = (r: BenchResult) => ({ 'p50 ms': r.p50Ms, 'p95 ms': r.p95Ms, 'p99 ms': r.p99Ms })

function section(title: string, rows: object[]) {
  if (rows.length === 0) return
  console.log(`\n## ${title}`)
  console.table(rows)
}

/** API over raw for each API line that has a raw line of the same bench, target and concurrency. */
export function ratios(results: BenchResult[]) {
  const find = (r: BenchResult, side: string) =>
    results.find(
      (x) =>
        x.side === side &&
        x.bench === r.bench &&
        x.target === r.target &&
        x.concurrency === r.concurrency,
    )
  const rate = (r: BenchResult) => r.rowsPerSec ?? r.requestsPerSec
  return results
    .filter((r) => r.side === 'api')
    .flatMap((api) =>
      (['raw', 'raw unnest'] as const).flatMap((side) => {
        const raw = find(api, side)
        if (!raw) return []
        const goal = goalOf(api.bench, api.concurrency)
        const ratio = Math.round((rate(api) / rate(raw)) * 100) / 100
        return [
          {
            bench: api.bench,
            target: api.target,
            conc: api.concurrency,
            against: side === 'raw' ? 'same statement' : 'plain unnest INSERT',
            'api /s': rate(api),
            'raw /s': rate(raw),
            'api/raw': ratio,
            goal: side === 'raw' && goal ? `≥ ${goal}${ratio >= goal ? ' ✓' : ' ✗'}` : '',
          },
        ]
      }),
    )
}

export function printReport(report: Report) {
  const { results } = report
  const m = report.machine
  console.log(
    `\n# TinyCRM bench — ${m.cpus} × ${m.cpuModel}, ${m.memoryMb} MB, Node ${m.node}, ` +
      `load average ${m.loadAverageBefore.join(' ')} before, ${m.loadAverageAfter.join(' ')} after`,
  )
  section(
    'npm start (embedded PGlite): spawn to "ready at"',
    (report.startup ?? []).map((r) => ({
      run: r.run,
      'wait ms': r.waitMs,
      'printed ms': r.printedMs,
      said: r.lines.join(' | '),
    })),
  )
  section(
    'identify (one customer a request)',
    results
      .filter((r) => r.bench === 'identify')
      .map((r) => ({
        target: r.target,
        side: r.side,
        conc: r.concurrency,
        'req/s': r.requestsPerSec,
        ...ms(r),
        requests: r.requests,
        errors: r.errors,
      })),
  )
  section(
    'batch ingest (1,000 new customers a request)',
    results
      .filter((r) => r.bench.startsWith('batch'))
      .map((r) => ({
        target: r.target,
        side: r.side,
        conc: r.concurrency,
        'rows/s': r.rowsPerSec,
        ...ms(r),
        batches: r.requests,
        errors: r.errors,
      })),
  )
  section(
    'billing webhooks (one signed Stripe event a request: verify, look up, one write)',
    results
      .filter((r) => r.bench === 'billing webhook')
      .map((r) => ({
        target: r.target,
        conc: r.concurrency,
        'req/s': r.requestsPerSec,
        ...ms(r),
        requests: r.requests,
        errors: r.errors,
      })),
  )
  section('API / raw (requests/s for identify, rows/s for batch)', ratios(results))
  section(
    'Node server memory (RSS)',
    report.servers.map((s) => ({
      target: s.target,
      database: s.database,
      'at rest MB': s.rssAtRestMb,
      'peak at c=64 MB': s.rssPeakC64Mb ?? '',
      'after MB': s.rssAfterMb,
    })),
  )
  if (report.worker) {
    const w = report.worker
    console.log(
      `\n## Worker (workerd via miniflare, Neon HTTP driver → loopback endpoint)\n` +
        `bundle (wrangler deploy --dry-run): ${w.bundleRawKb} KB raw, ${w.bundleGzipKb} KB gzipped ` +
        `(${w.bundleGzipBytes.toLocaleString('en')} bytes; 1 KB = 1,024 bytes; the project's target ` +
        `≤ 200 KB, Cloudflare's limits 3 MB free / 10 MB paid, gzipped)`,
    )
    console.table(
      w.runs.map((r) => ({
        target: r.target,
        'ready ms': r.readyMs,
        'first identify ms': r.firstRequestMs,
        'startup ms': r.startupMs,
      })),
    )
  }
  for (const d of report.dashboards) {
    section(
      `dashboard ${d.target}: ${d.customers} customers, ${d.relations} relations (seeded in ${d.seedSeconds} s)`,
      d.results.map(({ filter, query, count, p50Ms, p95Ms, rowsP95Ms }) => ({
        filter,
        query,
        count,
        'p50 ms': p50Ms,
        'p95 ms': p95Ms,
        'rows alone p95 ms': rowsP95Ms,
      })),
    )
    for (const r of d.results) {
      console.log(`-- summary of ${r.query || '(everyone)'}\n${r.summaryPlan}`)
    }
    console.log(
      `Heaviest: ${d.heaviest.filter} (${d.heaviest.query})\n-- rows\n${d.heaviest.rowsPlan}\n` +
        `-- summary\n${d.heaviest.summaryPlan}`,
    )
  }
}
