// POST /v1/batch with 1,000 identify items of new customers each, at concurrency 1 and 4: the
// import / backfill path. The figure that matters is rows written per second.
import type { BenchContext, BenchResult } from './bench.js'
import { runLoad, summarize } from './load.js'
import { BATCH_ITEMS, batchItems } from './workload.js'

export const BATCH_CONCURRENCY = [1, 4]
/** At most this many batches a run (a run also stops at the duration). */
export const BATCH_MAX = 200

/** How long each side sends batches, unmeasured, before its first timed run. A fresh server has
 *  run the identify warm-up only, while the raw side's process wrote the seed's batches of the
 *  same statement: measured on PGlite, a fresh server's batches at c=1 took 1,778 ms, then 749,
 *  651, 531, 516 … and about 400 ms from the 13th on (about 8 s), profiled. With one batch of
 *  warm-up, the API's runs (5 s, 7–15 batches) were mostly that climb. */
export const BATCH_WARMUP_MS = 8_000

export async function apiBatch({ target, durationMs, log }: BenchContext): Promise<BenchResult[]> {
  const { keys, baseUrl } = target
  let seq = 0
  const next = () => {
    const n = seq++
    return { path: '/v1/batch', key: keys[n % keys.length]!, body: { batch: batchItems(n, 'api') } }
  }
  const results: BenchResult[] = []
  log(`batch api ${target.name}: warming up (${BATCH_WARMUP_MS / 1000} s, unmeasured)`)
  await runLoad({ baseUrl, concurrency: 1, durationMs: BATCH_WARMUP_MS, count: BATCH_MAX, next })
  for (const concurrency of BATCH_CONCURRENCY) {
    await runLoad({ baseUrl, concurrency, count: concurrency, next })
    log(`batch api ${target.name} c=${concurrency}`)
    const r = await runLoad({ baseUrl, concurrency, durationMs, count: BATCH_MAX, next })
    results.push(
      summarize(r, {
        bench: `batch ${BATCH_ITEMS}`,
        target: target.name,
        side: 'api',
        concurrency,
        rowsPerRequest: BATCH_ITEMS,
      }),
    )
  }
  return results
}
