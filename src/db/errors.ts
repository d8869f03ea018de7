// Which driver errors mean "the database is not reachable or not accepting work right now" (a
// 503 with Retry-After in the app, exit 1 with a clear line in the CLI), on every driver we use.

// Postgres error classes: connection exceptions, insufficient resources, operator intervention.
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

/** Class 22 is "data exception": a value the client sent that Postgres refuses to store. */
export function isDataException(err: unknown): boolean {
  const sqlstate = (err as { code?: unknown })?.code
  return typeof sqlstate === 'string' && /^22[0-9A-Z]{3}$/.test(sqlstate)
}
