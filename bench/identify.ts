// POST /v1/identify over HTTP, one customer per request, at concurrency 1, 16 and 64 (see
// ./workload.ts for the mix). The server's RSS is sampled during each run: its peak is the memory
// "under load" figure.
import type { BenchContext, BenchResult } from './bench.js'
import { inTurn, runLoad, runLoop, summarize, WINDOWS } from './load.js'
import { identifyBody } from './workload.js'

export const IDENTIFY_CONCURRENCY = [1, 16, 64]

/** How long the server is loaded, unmeasured, before its first timed run. A process that opens
 *  PGlite starts on WebAssembly that V8 has only baseline-compiled, and optimises the hot functions
 *  over its first seconds of load; PGlite caches the compiled module per process. The raw side runs
 *  in the bench process, which has already run PGlite while seeding; the server is a fresh process.
 *  Measured (loaded machine, CPU per identify statement at c=1 in 1.5 s windows): a fresh process
 *  118 → 26 → 14 → 12 → 10 → 9 ms, the seeding process 30 → 8 → 9 → 8 → 6 ms; the server's CPU per
 *  identify request in 3 s windows 28 → 13 → 12 → 12 → 10 ms, then 10. Without this, the API's
 *  first runs (identify at c=1) compared a cold server with a warm statement. */
export const SERVER_WARMUP_MS = 10_000

/** Loads the server with identify calls (4 at a time, new customers apart from the runs') until it
 *  is warm: run once per target before the first timed API run. */
export async function warmServer({ target, log }: BenchContext): Promise<void> {
  log(`warming the ${target.name} server (${SERVER_WARMUP_MS / 1000} s of identify, unmeasured)`)
  let seq = 0
  const next = () => {
    const n = seq++
    return {
      path: '/v1/identify',
      key: target.keys[n % target.keys.length]!,
      body: identifyBody(n, 'warm'),
    }
  }
  await runLoad({ baseUrl: target.baseUrl, concurrency: 4, durationMs: SERVER_WARMUP_MS, next })
}

/** identify over HTTP and the same statement raw (`raw.op`, ./raw.ts) at each concurrency, in
 *  turn (`inTurn`). The server tidies its PGlite on its own timer, in a quiet moment (mostly the
 *  raw side's windows, when it gets no request); the raw side's `raw.tidy` runs after each round
 *  of windows, untimed. */
export async function identifyApiAndRaw(
  { target, durationMs, log }: BenchContext,
  raw: { op(): Promise<unknown>; tidy(): Promise<unknown> },
): Promise<BenchResult[]> {
  const { keys, baseUrl } = target
  let seq = 0
  const next = () => {
    const n = seq++
    return { path: '/v1/identify', key: keys[n % keys.length]!, body: identifyBody(n, 'api') }
  }
  const windowMs = durationMs / WINDOWS
  const results: BenchResult[] = []
  for (const concurrency of IDENTIFY_CONCURRENCY) {
    // A short unmeasured run of each side warms the JIT, the pool and the caches.
    const warmMs = Math.min(1000, durationMs / 4)
    await runLoad({ baseUrl, concurrency, durationMs: warmMs, next })
    await runLoop({ concurrency, durationMs: warmMs, op: raw.op })
    log(`identify ${target.name} c=${concurrency}, api and raw in turn`)
    let peak = target.rss()
    const [api, rawRun] = await inTurn(
      [
        async () => {
          const sampler = setInterval(() => (peak = Math.max(peak, target.rss())), 100)
          return runLoad({ baseUrl, concurrency, durationMs: windowMs, next }).finally(() =>
            clearInterval(sampler),
          )
        },
        () => runLoop({ concurrency, durationMs: windowMs, op: raw.op }),
      ],
      raw.tidy,
    )
    const line = { bench: 'identify', target: target.name, concurrency }
    results.push(
      { ...summarize(api!, { ...line, side: 'api' }), rssPeakMb: Math.round(peak / 1024 / 1024) },
      summarize(rawRun!, { ...line, side: 'raw' }),
    )
  }
  return results
}
