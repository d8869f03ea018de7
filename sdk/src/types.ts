// tinycrm-sdk's public types: what the calls take and what they resolve to. Types only: nothing
// here reaches the built JavaScript (see ./index.ts).

/** A customer's status in one product. Aliases are stored canonically by the server. */
export type Status =
  | 'free'
  | 'trial'
  | 'paid'
  | 'churned'
  /** Stored as `trial`. */
  | 'trialing'
  /** Stored as `paid`. */
  | 'active'
  /** Stored as `churned`. */
  | 'canceled'
  /** Stored as `churned`. */
  | 'cancelled'

/** Any JSON value. As JSON.stringify does, `undefined` is dropped and a Date becomes ISO text. */
export type ParamValue =
  string | Date | number | boolean | null | undefined | ParamValue[] | { [key: string]: ParamValue }

/**
 * Per-product custom data, shallow-merged into what this product already stored for the customer.
 * A top-level key sent as `null` is deleted. Examples: `{ plan: 'pro', mrr: 29 }`,
 * `{ source: 'producthunt' }`, `{ trial_ends: '2026-03-29' }`, `{ beta: true }`.
 */
export interface Params {
  [key: string]: ParamValue
}

export interface IdentifyInput {
  /** The merge key across products: trimmed and lower-cased by the server. */
  email: string
  /** Global across products: the latest non-empty name wins. */
  name?: string | null
  /** Omitted: unchanged (a customer new to this product starts as `free`). */
  status?: Status | null
  params?: Params | null
  /**
   * Set-once params: each key is set only if this product's params do not have it yet, so the first
   * value sent stays (first-touch attribution), e.g. `{ source: 'producthunt', first_plan: 'pro' }`.
   */
  paramsOnce?: Params | null
  /** When it happened (ISO 8601 or a Date), for backfills and imports. Default: now. */
  timestamp?: string | Date | null
}

export interface PingInput {
  email: string
  timestamp?: string | Date | null
}

export type BatchItem = ({ type: 'identify' } & IdentifyInput) | ({ type: 'ping' } & PingInput)

export interface IdentifyData {
  ok: true
  customerId: number
  /** True when this call created the customer (the email was new to the account). */
  created: boolean
}

export interface PingData {
  ok: true
  /** False when the email is unknown to this product: a ping creates nothing. */
  found: boolean
  customerId: number | null
}

export interface BatchItemResult {
  index: number
  ok: boolean
  type?: 'identify' | 'ping'
  customerId?: number | null
  created?: boolean
  found?: boolean
  error?: { code: string; message: string; details?: ErrorDetail[] }
}

export interface BatchData {
  ok: true
  succeeded: number
  failed: number
  results: BatchItemResult[]
}

export interface ErrorDetail {
  /** Dotted path of the offending field, e.g. `email` or `batch.3.status`. */
  path: string
  message: string
}

/**
 * The server's error codes, plus the SDK's own: `missing_url` (no `baseUrl` and no `TINYCRM_URL`:
 * nothing was sent), `network_error` (no response), `timeout` (no response within timeoutMs),
 * `http_error` (a response that is not TinyCRM's, e.g. a proxy's 502 page or a wrong URL).
 */
export type ErrorCode =
  | 'invalid_json'
  | 'validation_failed'
  | 'unauthorized'
  | 'forbidden'
  | 'not_found'
  | 'payload_too_large'
  | 'unsupported_media_type'
  | 'rate_limited'
  | 'internal'
  | 'unavailable'
  | 'missing_url'
  | 'network_error'
  | 'timeout'
  | 'http_error'

/** The server's error body `{ code, message, details?, requestId? }`, plus the HTTP status. */
export interface TinyCRMError {
  code: ErrorCode
  /** For humans. The SDK's own transport errors name the URL they failed on. */
  message: string
  /** HTTP status; 0 when no response arrived. Client-side checks use the server's status. */
  status: number
  details?: ErrorDetail[]
  /** The server's request id, to find the call in its logs. */
  requestId?: string
}

/** Every call resolves to one of these and never rejects. */
export type Result<T> = { data: T; error: null } | { data: null; error: TinyCRMError }

export interface TinyCRMOptions {
  /** A project key, `tcrm_proj_…`. Missing: every call resolves with an `unauthorized` error. */
  apiKey: string | undefined
  /**
   * Your TinyCRM server, e.g. `https://crm.example.com`. Default: env `TINYCRM_URL` where there is a
   * `process.env`. With neither, nothing is sent: every call resolves with a `missing_url` error.
   */
  baseUrl?: string
  /** Per attempt. Default 5000. */
  timeoutMs?: number
  /** Extra attempts on network errors, timeouts, 408, 429 and 5xx. Default 2. */
  retries?: number
  /** Default: globalThis.fetch, looked up at call time. */
  fetch?: typeof globalThis.fetch
  /** Called once per failed call, after retries. Default: console.error. `null` silences it. */
  onError?: ((error: TinyCRMError) => void) | null
  /** Coalesce identify and ping calls into /v1/batch requests (flushAt 20, every 1000 ms). */
  batch?: boolean
  /** Send a batch once this many calls are queued (max 5000). Setting it turns batching on. */
  flushAt?: number
  /** Send a non-empty queue after this long. Setting it turns batching on. Default 1000. */
  flushIntervalMs?: number
}
