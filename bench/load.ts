// The load generator: N workers, each sending one request after another over its own keep-alive
// connection (node:http, lighter per request than fetch), timing each. It runs in the bench
// process; the server under test is a separate process, so the two don't share an event loop.
import { Agent, request } from 'node:http'
import type { BenchResult, Side } from './bench.js'

export interface Req {
  path: string
  /** A project key, sent as `Authorization: Bearer`. */
  key?: string
  /** JSON-encoded here unless it is a string already (a signed webhook body is sent as signed). */
  body: unknown
  headers?: Record<string, string>
}

export interface LoadOptions {
  baseUrl: string
  concurrency: number
  /** Stop starting requests after this long… */
  durationMs?: number
  /** …or after this many requests, whichever comes first. */
  count?: number
  /** Builds the n-th request (n counts from 0 across all workers). */
  next(n: number): Req
}

export interface LoadResult {
  requests: number
  errors: number
  /** The first few error answers, to tell a broken run from a slow one. */
  errorSamples: string[]
  seconds: number
  /** Per-request latency in ms, in completion order. */
  latencies: number[]
}

export async function runLoad(opts: LoadOptions): Promise<LoadResult> {
  const agent = new Agent({ keepAlive: true, maxSockets: opts.concurrency })
  const url = new URL(opts.baseUrl)
  const latencies: number[] = []
  const errorSamples: string[] = []
  let errors = 0
  let n = 0
  const started = performance.now()
  const deadline = started + (opts.durationMs ?? Infinity)
  const limit = opts.count ?? Infinity

  const send = (req: Req) =>
    new Promise<{ status: number; text: string }>((resolve, reject) => {
      const body = Buffer.from(typeof req.body === 'string' ? req.body : JSON.stringify(req.body))
      const r = request(
        {
          agent,
          host: url.hostname,
          port: url.port,
          method: 'POST',
          path: req.path,
          headers: {
            ...(req.key ? { Authorization: `Bearer ${req.key}` } : {}),
            'Content-Type': 'application/json',
            'Content-Length': body.length,
            ...req.headers,
          },
        },
        (res) => {
          const chunks: Buffer[] = []
          res.on('data', (c: Buffer) => chunks.push(c))
          res.on('end', () =>
            resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString() }),
          )
          res.on('error', reject)
        },
      )
      r.on('error', reject)
      r.end(body)
    })

  async function worker() {
    while (n < limit && performance.now() < deadline) {
      const req = opts.next(n++)
      const t0 = performance.now()
      try {
        const res = await send(req)
        latencies.push(performance.now() - t0)
        if (res.status !== 200) {
          errors++
          if (errorSamples.length < 3) errorSamples.push(`${res.status} ${res.text.slice(0, 200)}`)
        }
      } catch (err) {
        errors++
        if (errorSamples.length < 3) errorSamples.push(String(err))
      }
    }
  }
  await Promise.all(Array.from({ length: opts.concurrency }, worker))
  const seconds = (performance.now() - started) / 1000
  agent.destroy()
  return { requests: latencies.length, errors, errorSamples, seconds, latencies }
}

/** The p-th percentile (0-100) by the nearest-rank method. */
export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN
  const rank = Math.ceil((p / 100) * sorted.length)
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))]!
}

export function latencySummary(latencies: number[]) {
  const sorted = [...latencies].sort((a, b) => a - b)
  const round = (ms: number) => Math.round(ms * 100) / 100
  return {
    p50Ms: round(percentile(sorted, 50)),
    p95Ms: round(percentile(sorted, 95)),
    p99Ms: round(percentile(sorted, 99)),
  }
}

/** The same loop without HTTP: N workers each awaiting `op(n)` one after another (the raw-SQL side
 *  and the Worker side use it). A throw counts as an error. */
export async function runLoop(opts: {
  concurrency: number
  durationMs?: number
  count?: number
  op(n: number): Promise<unknown>
}): Promise<LoadResult> {
  const latencies: number[] = []
  const errorSamples: string[] = []
  let errors = 0
  let n = 0
  const started = performance.now()
  const deadline = started + (opts.durationMs ?? Infinity)
  const limit = opts.count ?? Infinity
  async function worker() {
    while (n < limit && performance.now() < deadline) {
      const i = n++
      const t0 = performance.now()
      try {
        await opts.op(i)
        latencies.push(performance.now() - t0)
      } catch (err) {
        errors++
        if (errorSamples.length < 3) errorSamples.push(String(err).slice(0, 200))
      }
    }
  }
  await Promise.all(Array.from({ length: opts.concurrency }, worker))
  const seconds = (performance.now() - started) / 1000
  return { requests: latencies.length + errors, errors, errorSamples, seconds, latencies }
}

/** How many windows a timed run is cut into when sides take turns (`inTurn`). */
export const WINDOWS = 5

/** Each side runs one window (its `run()`), in turn, `windows` times: A, B, A, B… A change in the
 *  machine's load or in the data (tables growing, statistics going stale) falls on every side
 *  alike. Run one after the other, minutes apart, the PGlite identify ratio API/raw at c=16 moved
 *  between 0.57 and 1.00 from run to run. `afterRound` runs after each round, untimed (the raw
 *  side's tidy). Returns each side's windows put together. */
export async function inTurn(
  sides: (() => Promise<LoadResult>)[],
  afterRound?: () => Promise<unknown>,
): Promise<LoadResult[]> {
  const runs: LoadResult[][] = sides.map(() => [])
  for (let w = 0; w < WINDOWS; w++) {
    for (const [i, run] of sides.entries()) runs[i]!.push(await run())
    await afterRound?.()
  }
  return runs.map(joinRuns)
}

/** Runs of one side put together, as one run as long as all of them. */
function joinRuns(runs: LoadResult[]): LoadResult {
  return {
    requests: runs.reduce((sum, r) => sum + r.requests, 0),
    errors: runs.reduce((sum, r) => sum + r.errors, 0),
    errorSamples: runs.flatMap((r) => r.errorSamples).slice(0, 3),
    seconds: runs.reduce((sum, r) => sum + r.seconds, 0),
    latencies: runs.flatMap((r) => r.latencies),
  }
}

/** A run's figures as one report line; `rowsPerRequest` turns successful requests into rows/s. */
export function summarize(
  r: LoadResult,
  line: { bench: string; target: string; side: Side; concurrency: number; rowsPerRequest?: number },
): BenchResult {
  const { rowsPerRequest, ...rest } = line
  const ok = r.requests - r.errors
  return {
    ...rest,
    requests: r.requests,
    errors: r.errors,
    seconds: Math.round(r.seconds * 100) / 100,
    requestsPerSec: Math.round((r.requests / r.seconds) * 10) / 10,
    ...(rowsPerRequest ? { rowsPerSec: Math.round((ok * rowsPerRequest) / r.seconds) } : {}),
    ...latencySummary(r.latencies),
    ...(r.errorSamples.length ? { errorSamples: r.errorSamples } : {}),
  }
}
