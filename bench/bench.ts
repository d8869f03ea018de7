// The shape every bench module has, so run.ts can list them and later benches (raw SQL beside
// the API, the Worker under workerd, dashboard queries on 1M rows) plug in the same way.
import type { Target } from './targets.js'

export interface BenchContext {
  target: Target
  /** How long each timed run lasts. */
  durationMs: number
  log(message: string): void
}

/** One line of the report. Latencies are per request (a request is one batch for batch benches). */
export interface BenchResult {
  bench: string
  target: string
  concurrency: number
  requests: number
  errors: number
  seconds: number
  requestsPerSec: number
  /** Items written per second, for benches that send many per request. */
  rowsPerSec?: number
  p50Ms: number
  p95Ms: number
  p99Ms: number
  errorSamples?: string[]
}

export interface Bench {
  name: string
  run(ctx: BenchContext): Promise<BenchResult[]>
}
