// POST /v1/batch with 1,000 identify items of new customers each, at concurrency 1 and 4: the
// import / backfill path. The figure that matters is rows written per second.
import type { BenchContext, BenchResult, Side } from './bench.js'
import { inTurn, runLoad, runLoop, summarize, WINDOWS } from './load.js'
import { BATCH_ITEMS, batchItems } from './workload.js'

export const BATCH_CONCURRENCY = [1, 4]
/** At most this many batches a run, a fifth of it a window (a run also stops at the duration). */
export const BATCH_MAX = 200

/** How long each side sends batches, unmeasured, before its first timed run. A fresh server has
 *  run the identify warm-up only, while the raw side's process wrote the seed's batches of the
 *  same statement: measured on PGlite, a fresh server's batches at c=1 took 1,778 ms, then 749,
 *  651, 531, 516 … and about 400 ms from the 13th on (about 8 s), profiled. With one batch of
 *  warm-up, the API's runs (5 s, 7–15 batches) were mostly that climb. */
export const BATCH_WARMUP_MS = 8_000

/** The raw sides of batch, as ./raw.ts `rawBatchOps` makes them, with the raw side's tidy. */
export interface RawBatch {
  ops: Record<'raw' | 'raw unnest', () => Promise<unknown>>
  tidy(): Promise<unknown>
}

/** POST /v1/batch, the same statement raw and the plain INSERT (`raw.ops`) at each concurrency, in
 *  turn (`inTurn`); each side warmed up first, unmeasured. */
export async function batchApiAndRaw(
  { target, durationMs, log }: BenchContext,
  raw: RawBatch,
): Promise<BenchResult[]> {
  const { keys, baseUrl } = target
  let seq = 0
  const next = () => {
    const n = seq++
    return { path: '/v1/batch', key: keys[n % keys.length]!, body: { batch: batchItems(n, 'api') } }
  }
  const rawSides = Object.entries(raw.ops) as [Side, () => Promise<unknown>][]
  log(`batch ${target.name}: warming up each side (${BATCH_WARMUP_MS / 1000} s, unmeasured)`)
  const warm = { concurrency: 1, durationMs: BATCH_WARMUP_MS, count: BATCH_MAX }
  await runLoad({ baseUrl, ...warm, next })
  for (const [, op] of rawSides) await runLoop({ ...warm, op })
  const windowMs = durationMs / WINDOWS
  const count = Math.ceil(BATCH_MAX / WINDOWS)
  const results: BenchResult[] = []
  for (const concurrency of BATCH_CONCURRENCY) {
    // One batch per client first, unmeasured.
    await runLoad({ baseUrl, concurrency, count: concurrency, next })
    for (const [, op] of rawSides) await runLoop({ concurrency, count: concurrency, op })
    log(`batch ${target.name} c=${concurrency}, api and raw in turn`)
    const window = (op: () => Promise<unknown>) => () =>
      runLoop({ concurrency, durationMs: windowMs, count, op })
    const runs = await inTurn(
      [
        () => runLoad({ baseUrl, concurrency, durationMs: windowMs, count, next }),
        ...rawSides.map(([, op]) => window(op)),
      ],
      raw.tidy,
    )
    const sides: Side[] = ['api', ...rawSides.map(([side]) => side)]
    for (const [i, side] of sides.entries()) {
      results.push(
        summarize(runs[i]!, {
          bench: `batch ${BATCH_ITEMS}`,
          target: target.name,
          side,
          concurrency,
          rowsPerRequest: BATCH_ITEMS,
        }),
      )
    }
  }
  return results
}
