// POST /v1/identify, one customer per request, at concurrency 1 and 16. Emails cycle through a
// pool of 5,000, so the run mixes creating customers with updating them (the steady state of a
// product that identifies its users on every login), across two projects.
import type { Bench, BenchResult } from './bench.js'
import { latencySummary, runLoad } from './load.js'

const EMAILS = 5_000
const STATUSES = ['free', 'trial', 'paid'] as const

export const identifyBench: Bench = {
  name: 'identify',
  async run({ target, durationMs, log }) {
    const { keys, baseUrl } = target
    let seq = 0
    const next = () => {
      const n = seq++
      return {
        path: '/v1/identify',
        key: keys[n % keys.length]!,
        body: {
          email: `user${n % EMAILS}@bench.example`,
          name: `User ${n % EMAILS}`,
          status: STATUSES[n % STATUSES.length],
          params: { plan: n % 2 ? 'pro' : 'starter', mrr: n % 100, seq: n },
        },
      }
    }
    const results: BenchResult[] = []
    for (const concurrency of [1, 16]) {
      // A short unmeasured run warms the JIT, the pool and the caches.
      await runLoad({ baseUrl, concurrency, durationMs: Math.min(1000, durationMs / 4), next })
      log(`identify ${target.name} c=${concurrency}`)
      const r = await runLoad({ baseUrl, concurrency, durationMs, next })
      results.push({
        bench: 'identify',
        target: target.name,
        concurrency,
        requests: r.requests,
        errors: r.errors,
        seconds: r.seconds,
        requestsPerSec: Math.round(r.requests / r.seconds),
        ...latencySummary(r.latencies),
        ...(r.errorSamples.length ? { errorSamples: r.errorSamples } : {}),
      })
    }
    return results
  },
}
