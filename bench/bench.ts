// The shapes the bench modules share: one line of the report per (bench, target, side, concurrency).
import type { Target } from './targets.js'

export interface BenchContext {
  target: Target
  /** How long each timed run lasts. */
  durationMs: number
  log(message: string): void
}

/** Where a figure comes from: the Node server over HTTP, the same SQL sent by the bench process
 *  straight to the database, or the Worker under workerd through Neon's HTTP driver. */
export type Side = 'api' | 'raw' | 'raw unnest' | 'worker'

/** One line of the report. Latencies are per request (a request is one batch for batch benches). */
export interface BenchResult {
  bench: string
  target: string
  side: Side
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
  /** The Node server's peak resident set size during the run (sampled), API side only. */
  rssPeakMb?: number
  errorSamples?: string[]
}

export const round1 = (x: number) => Math.round(x * 10) / 10
