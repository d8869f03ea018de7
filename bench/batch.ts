// POST /v1/batch with 1,000 identify items each (new customers every time), at concurrency 1 and 4:
// the import / backfill path. The figure that matters is rows written per second.
import type { Bench, BenchResult } from './bench.js'
import { latencySummary, runLoad } from './load.js'

const ITEMS = 1_000

export const batchBench: Bench = {
  name: 'batch',
  async run({ target, durationMs, log }) {
    const { keys, baseUrl } = target
    let seq = 0
    const next = () => {
      const n = seq++
      return {
        path: '/v1/batch',
        key: keys[n % keys.length]!,
        body: {
          batch: Array.from({ length: ITEMS }, (_, i) => ({
            type: 'identify',
            email: `b${n}-${i}@bench.example`,
            status: 'paid',
            params: { plan: 'pro', mrr: i % 100, source: 'import' },
          })),
        },
      }
    }
    const results: BenchResult[] = []
    for (const concurrency of [1, 4]) {
      await runLoad({ baseUrl, concurrency, count: concurrency, next })
      log(`batch ${target.name} c=${concurrency}`)
      const r = await runLoad({ baseUrl, concurrency, durationMs, count: 200, next })
      const ok = r.requests - r.errors
      results.push({
        bench: `batch ${ITEMS}`,
        target: target.name,
        concurrency,
        requests: r.requests,
        errors: r.errors,
        seconds: r.seconds,
        requestsPerSec: Math.round((r.requests / r.seconds) * 10) / 10,
        rowsPerSec: Math.round((ok * ITEMS) / r.seconds),
        ...latencySummary(r.latencies),
        ...(r.errorSamples.length ? { errorSamples: r.errorSamples } : {}),
      })
    }
    return results
  },
}
