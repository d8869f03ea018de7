// POST /v1/identify over HTTP, one customer per request, at concurrency 1, 16 and 64 (see
// ./workload.ts for the mix). The server's RSS is sampled during each run: its peak is the memory
// "under load" figure.
import type { BenchContext, BenchResult } from './bench.js'
import { runLoad, summarize } from './load.js'
import { identifyBody } from './workload.js'

export const IDENTIFY_CONCURRENCY = [1, 16, 64]

export async function apiIdentify({
  target,
  durationMs,
  log,
}: BenchContext): Promise<BenchResult[]> {
  const { keys, baseUrl } = target
  let seq = 0
  const next = () => {
    const n = seq++
    return { path: '/v1/identify', key: keys[n % keys.length]!, body: identifyBody(n, 'api') }
  }
  const results: BenchResult[] = []
  for (const concurrency of IDENTIFY_CONCURRENCY) {
    // A short unmeasured run warms the JIT, the pool and the caches.
    await runLoad({ baseUrl, concurrency, durationMs: Math.min(1000, durationMs / 4), next })
    log(`identify api ${target.name} c=${concurrency}`)
    let peak = target.rss()
    const sampler = setInterval(() => (peak = Math.max(peak, target.rss())), 100)
    const r = await runLoad({ baseUrl, concurrency, durationMs, next }).finally(() =>
      clearInterval(sampler),
    )
    results.push({
      ...summarize(r, { bench: 'identify', target: target.name, side: 'api', concurrency }),
      rssPeakMb: Math.round(peak / 1024 / 1024),
    })
  }
  return results
}
