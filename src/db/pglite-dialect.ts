// Kysely's PGlite dialect, with statements sent to PGlite as they come. Kysely's own takes PGlite
// for one connection: one statement at a time from the app, each sent only once the one before
// it has answered. PGlite runs one at a time anyway, queued by itself (a statement outside a
// transaction waits for an open one to end), so here each statement or transaction gets a
// connection of its own: on its own thread (./pglite-thread.ts), PGlite has the next statement
// waiting when it ends one, rather than idling while the main thread answers the last and sends
// the next. A transaction's statements alone run inside it.
import {
  PGliteDialect,
  PostgresAdapter,
  type CompiledQuery,
  type DatabaseConnection,
  type Driver,
  type QueryResult,
} from 'kysely'
import type { PGlite } from '@electric-sql/pglite'
import { heldTransaction, type HeldTransaction } from './pglite-transaction.js'

class PGliteConnection implements DatabaseConnection {
  #held: HeldTransaction | undefined

  constructor(private readonly pglite: PGlite) {}

  async executeQuery<R>(compiled: CompiledQuery): Promise<QueryResult<R>> {
    const { affectedRows, rows } = await (this.#held?.tx ?? this.pglite).query<R>(
      compiled.sql,
      compiled.parameters as unknown[],
      { rowMode: 'object' },
    )
    return {
      numAffectedRows: affectedRows != null ? BigInt(affectedRows) : undefined,
      rows: rows ?? [],
    }
  }

  // eslint-disable-next-line require-yield
  async *streamQuery<R>(): AsyncIterableIterator<QueryResult<R>> {
    throw new Error('Streaming is not supported by PGlite')
  }

  async begin() {
    this.#held = await heldTransaction(this.pglite)
  }

  async end(commit: boolean) {
    const held = this.#held
    this.#held = undefined
    await held?.end(commit)
  }
}

class PGliteDriver implements Driver {
  constructor(private readonly pglite: PGlite) {}
  async init() {}
  async acquireConnection() {
    return new PGliteConnection(this.pglite)
  }
  async beginTransaction(connection: PGliteConnection) {
    await connection.begin()
  }
  async commitTransaction(connection: PGliteConnection) {
    await connection.end(true)
  }
  async rollbackTransaction(connection: PGliteConnection) {
    await connection.end(false)
  }
  async releaseConnection() {}
  async destroy() {
    if (!this.pglite.closed) await this.pglite.close()
  }
}

/** Kysely's PGliteDialect (its compiler and introspector), on the driver above, with
 *  PostgreSQL's adapter: one that allows many connections at once (Kysely's PGlite adapter holds
 *  every statement until the last has answered). Its migration lock is PostgreSQL's, an advisory
 *  lock, which PGlite takes as PostgreSQL does. */
export class PGliteStatementsAsTheyCome extends PGliteDialect {
  constructor(private readonly pglite: PGlite) {
    super({ pglite })
  }
  override createAdapter() {
    return new PostgresAdapter()
  }
  override createDriver(): Driver {
    return new PGliteDriver(this.pglite)
  }
}
