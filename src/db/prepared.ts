// Statements worth preparing: the ingest statement is sent on every identify, ping and batch, and
// PostgreSQL parsing, analysing and planning its text again each time cost more than running it
// (measured on PGlite, one process: parse and analysis 0.8–1.5 ms, planning 1.1–1.7 ms, of a
// 3.3–4.6 ms identify). On the embedded PGlite a marked statement is prepared once and sent by
// name after (./pglite-prepared.ts); through pg, pg does the same per connection, and falls back
// to plain text where a pooler in transaction mode refuses named statements (./pg-prepared.ts); to
// Neon's HTTP driver (the Worker) the mark is a comment.
import { sql, type RawBuilder } from 'kysely'

/** The mark a prepared statement's text starts with. */
export const PREPARED_MARK = '/* prepared */'

/** `statement`, marked to be prepared. Its text must come from a bounded set of shapes (values go
 *  in parameters): each distinct text is one prepared statement, up to MAX_PREPARED. */
export function prepared<T>(statement: RawBuilder<T>): RawBuilder<T> {
  return sql<T>`${sql.raw(PREPARED_MARK)}
${statement}`
}

export const isPrepared = (text: string) => text.startsWith(PREPARED_MARK)

/** How many distinct texts PGlite prepares; any more are sent as they are. */
export const MAX_PREPARED = 32
