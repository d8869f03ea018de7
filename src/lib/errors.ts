// The one error path: anything a handler throws ends in `onError`, which answers
// `{ error: { code, message, details?, requestId } }` with the status the code maps to.
import type { Context } from 'hono'
import { HTTPException } from 'hono/http-exception'
import type { ContentfulStatusCode } from 'hono/utils/http-status'
import type { HonoEnv } from '../env.js'
import { renderErrorPage, wantsHtml } from '../dashboard/error-page.js'

export const ERROR_STATUS = {
  invalid_json: 400,
  validation_failed: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  payload_too_large: 413,
  unsupported_media_type: 415,
  rate_limited: 429,
  internal: 500,
  unavailable: 503,
} as const satisfies Record<string, ContentfulStatusCode>

export type ErrorCode = keyof typeof ERROR_STATUS

export interface ErrorDetail {
  /** Dotted path of the offending field, e.g. `params` or `batch.3.email`. */
  path: string
  message: string
}

export class ApiError extends Error {
  override name = 'ApiError' as const
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: ErrorDetail[],
    readonly headers?: Record<string, string>,
  ) {
    super(message)
  }
  get status(): ContentfulStatusCode {
    return ERROR_STATUS[this.code]
  }
  toJSON() {
    return {
      code: this.code,
      message: this.message,
      ...(this.details ? { details: this.details } : {}),
    }
  }
}

// Postgres error classes that mean "the database is not reachable or not accepting work right now".
const UNAVAILABLE_SQLSTATE = /^(08|53|57P0[1-3])/
const UNAVAILABLE_ERRNO = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND'])
// Errors with no code at all: pg's when the server drops a connection mid-query (seen when the
// server restarts; src/ingest/faults.pg.test.ts), and Neon's HTTP driver's when its endpoint is
// unreachable (it sets `sourceError`) or answers 5xx ("Server error (HTTP status 503): ...").
const UNAVAILABLE_PG_MESSAGE = new RegExp(
  '^(Connection terminated|Client has encountered a connection error|' +
    'timeout exceeded when trying to connect)',
)
const NEON_HTTP_5XX = /^Server error \(HTTP status 5\d\d\)/

export function isDatabaseUnavailable(err: unknown): boolean {
  const e = err as { code?: unknown; message?: unknown; name?: unknown; sourceError?: unknown }
  if (typeof e?.code === 'string') {
    return UNAVAILABLE_SQLSTATE.test(e.code) || UNAVAILABLE_ERRNO.has(e.code)
  }
  const message = typeof e?.message === 'string' ? e.message : ''
  if (e?.name === 'NeonDbError') return e.sourceError !== undefined || NEON_HTTP_5XX.test(message)
  return err instanceof Error && UNAVAILABLE_PG_MESSAGE.test(message)
}

export function toApiError(err: unknown): ApiError {
  if (err instanceof ApiError) return err
  if (err instanceof HTTPException) {
    if (err.status === 413)
      return new ApiError('payload_too_large', err.message || 'Request body too large')
    if (err.status === 400) return new ApiError('invalid_json', err.message || 'Malformed request')
    return new ApiError('internal', 'Internal error')
  }
  // Class 22 is "data exception": a value the client sent that Postgres refuses to store. Validation
  // should catch these first; this keeps any we missed a 400 rather than a 500.
  const sqlstate = (err as { code?: unknown })?.code
  if (typeof sqlstate === 'string' && /^22[0-9A-Z]{3}$/.test(sqlstate)) {
    return new ApiError('validation_failed', 'A value in the request could not be stored')
  }
  if (isDatabaseUnavailable(err)) {
    return new ApiError('unavailable', 'The database is unavailable; retry shortly', undefined, {
      'Retry-After': '2',
    })
  }
  return new ApiError('internal', 'Internal error')
}

export function onError(err: unknown, c: Context<HonoEnv>) {
  const apiError = toApiError(err)
  const requestId = c.get('requestId')
  if (apiError.code === 'internal' || apiError.code === 'unavailable') {
    // Logged with the request id the client saw; the client never sees the internals.
    console.error(`[${requestId}] ${c.req.method} ${c.req.path}:`, err)
  }
  for (const [k, v] of Object.entries(apiError.headers ?? {})) c.header(k, v)
  if (wantsHtml(c)) return renderErrorPage(c, apiError.status, apiError.message, requestId)
  return c.json({ error: { ...apiError.toJSON(), requestId } }, apiError.status)
}
