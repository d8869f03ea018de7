// POST /v1/batch with 1,000 identify items of new customers each, at concurrency 1 and 4: the
// import / backfill path. The figure that matters is rows written per second.
import type { BenchContext, BenchResult } from './bench.js'
import { runLoad, summarize } from './load.js'
import { BATCH_ITEMS, batchItems } from './workload.js'

export const BATCH_CONCURRENCY = [1, 4]
/** At most this many batches a run (a run also stops at the duration). */
export const BATCH_MAX = 200

export async function apiBatch({ target, durationMs, log }: BenchContext): Promise<BenchResult[]> {
  const { keys, baseUrl } = target
  let seq = 0
  const next = () => {
    const n = seq++
    return { path: '/v1/batch', key: keys[n % keys.length]!, body: { batch: batchItems(n, 'api') } }
  }
  const results: BenchResult[] = []
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
