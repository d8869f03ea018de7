// The one error path. Whatever a handler or middleware throws becomes an ApiError here (a Hono
// HTTPException, a database outage, a data exception, or a bug), is logged when it is ours to fix,
// and is answered by the sub-app's own responder: JSON on the API, a page on the dashboard. The
// internals of a 500 never reach the client; the log line carries the request id the client saw,
// and never a value the request sent (src/db/log.ts). A database outage is logged once, not per
// request.
import type { Context, Env, ErrorHandler } from 'hono'
import { HTTPException } from 'hono/http-exception'
import { isDataException, isDatabaseUnavailable } from '../../db/errors.js'
import { describeError, reportUnavailable } from '../../db/log.js'
import type { HonoEnv } from '../../env.js'
import { ApiError } from '../../lib/errors.js'

/** Seconds a client should wait after a 503 from a database outage. */
export const UNAVAILABLE_RETRY_AFTER_SECONDS = 2

export function toApiError(err: unknown): ApiError {
  if (err instanceof ApiError) return err
  if (err instanceof HTTPException) {
    if (err.status === 413)
      return new ApiError('payload_too_large', err.message || 'Request body too large')
    if (err.status === 400) return new ApiError('invalid_json', err.message || 'Malformed request')
    return new ApiError('internal', 'Internal error')
  }
  // Validation should catch bad values first; this keeps any we missed a 400 rather than a 500.
  if (isDataException(err)) {
    return new ApiError('validation_failed', 'A value in the request could not be stored')
  }
  if (isDatabaseUnavailable(err)) {
    return new ApiError('unavailable', 'The database is unavailable; retry shortly', undefined, {
      'Retry-After': String(UNAVAILABLE_RETRY_AFTER_SECONDS),
    })
  }
  return new ApiError('internal', 'Internal error')
}

/** How a sub-app answers an error (its headers are already set). */
export type ErrorResponder<E extends Env = HonoEnv> = (
  c: Context<E>,
  error: ApiError,
  requestId: string | undefined,
) => Response | Promise<Response>

/** The API's answer: `{ error: { code, message, details?, requestId } }` with the code's status. */
export function jsonError<E extends Env>(c: Context<E>, error: ApiError, requestId?: string) {
  return c.json({ error: { ...error.toJSON(), requestId } }, error.status)
}

/** An `onError` handler for a (sub-)app that answers with `respond` (JSON by default). */
export function onError<E extends Env = HonoEnv>(
  respond: ErrorResponder<E> = jsonError,
): ErrorHandler<E> {
  return function onError(err, c) {
    const error = toApiError(err)
    const requestId = c.get('requestId') as string | undefined
    // Never the error object itself: drivers put the statement's parameters on it (../../db/log.ts).
    const where = `[${requestId}] ${c.req.method} ${c.req.path}`
    if (error.code === 'unavailable') reportUnavailable(err, where)
    if (error.code === 'internal') console.error(`${where}: 500 ${describeError(err)}`)
    for (const [k, v] of Object.entries(error.headers ?? {})) c.header(k, v)
    return respond(c, error, requestId)
  }
}
