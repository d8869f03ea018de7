// What the server may log about a database error. Drivers put everything on their errors: PGlite
// the statement and its bound parameters (a password's hash, an API key's hash, a whole ingest
// payload), Postgres a message and detail that quote values (`invalid input syntax … "x"`,
// `Key (email)=(…)`). So a log line names the error by its SQLSTATE, the statement by its verb
// and table (set on the error by the Kysely hook below), and the schema objects Postgres names
// (constraint, table, column): enough to find the cause, never a value.
//
// An outage is one line when it starts, not a line per request: while the database is
// unreachable every request fails the same way (a 503 with Retry-After), and the next statement
// that succeeds ends the episode.
import type { LogEvent } from 'kysely'
import { isDatabaseUnavailable } from './errors.js'

const STATEMENT = Symbol('tinycrm.statement')

/** A statement's name: its verb and first table, e.g. `insert into accounts`, `select customers`. */
export function statementName(sql: string): string {
  // A row lock (`FOR [NO KEY] UPDATE OF c`) is no write: such a statement is named by its FROM.
  const write =
    /\b(insert\s+into|(?<!\bfor\s+(?:no\s+key\s+)?)update|delete\s+from)\s+"?([a-z_][a-z0-9_]*)/i.exec(
      sql,
    )
  if (write) return `${write[1]!.toLowerCase().replace(/\s+/g, ' ')} ${write[2]}`
  const read = /\bfrom\s+"?([a-z_][a-z0-9_]*)/i.exec(sql)
  if (read) return `select ${read[1]}`
  return (/^\s*(\w+)/.exec(sql)?.[1] ?? 'statement').toLowerCase()
}

let outageSince: number | undefined

/** Kysely's `log` for every database the app opens: names the statement on a failed query's
 *  error, and ends an outage episode when a statement succeeds. `next` also sees every event. */
export function databaseLog(next?: (event: LogEvent) => void) {
  return function databaseLog(event: LogEvent) {
    if (event.level === 'error') {
      const err = event.error
      if (typeof err === 'object' && err !== null && !(STATEMENT in err)) {
        Object.defineProperty(err, STATEMENT, { value: statementName(event.query.sql) })
      }
    } else if (outageSince !== undefined) {
      outageSince = undefined
    }
    next?.(event)
  }
}

interface DriverError {
  name?: unknown
  message?: unknown
  code?: unknown
  severity?: unknown
  constraint?: unknown
  table?: unknown
  column?: unknown
  [STATEMENT]?: string
}

function isDriverError(e: DriverError): boolean {
  return (
    (typeof e.code === 'string' && /^[0-9A-Z]{5}$/.test(e.code)) ||
    typeof e.severity === 'string' ||
    e.name === 'NeonDbError'
  )
}

/** One line about `err` with nothing a client sent in it: a database error as its code, statement
 *  and schema names; any other error (ours: a bug) with its stack. */
export function describeError(err: unknown): string {
  if (typeof err !== 'object' || err === null) return `thrown: ${typeof err}`
  const e = err as DriverError
  if (isDriverError(e) || isDatabaseUnavailable(err)) {
    const parts = [`database error ${typeof e.code === 'string' ? e.code : String(e.name)}`]
    if (e[STATEMENT]) parts.push(`in "${e[STATEMENT]}"`)
    for (const key of ['constraint', 'table', 'column'] as const) {
      if (typeof e[key] === 'string') parts.push(`${key}=${e[key]}`)
    }
    return parts.join(' ')
  }
  return err instanceof Error ? (err.stack ?? `${err.name}: ${err.message}`) : 'thrown: object'
}

/**
 * Logs an unreachable database once per episode (the first failure after a success); later
 * failures of the same episode log nothing. `where` says who noticed (a request, the pool).
 */
export function reportUnavailable(err: unknown, where: string): void {
  if (outageSince !== undefined) return
  outageSince = Date.now()
  // A driver's "Connection terminated unexpectedly" has no code: its fixed text says what happened.
  const e = err as DriverError
  const what =
    typeof e?.code === 'string'
      ? `code ${e.code}`
      : typeof e?.message === 'string'
        ? e.message.slice(0, 60)
        : 'unknown'
  console.error(
    `database unavailable (${what}; first noticed by ${where}): answering 503 with Retry-After ` +
      'until a statement succeeds again; not logged again until then',
  )
}
