// PGlite as the app opens it, wherever it runs (./pglite-worker.ts on a thread of its own for a
// data directory; ./node.ts on the main thread for a throwaway or a fixture): the app's type
// parsers, pg_trgm, its buffer pool, and the app's marked statements prepared.
import { PGlite } from '@electric-sql/pglite'
import { pg_trgm } from '@electric-sql/pglite/contrib/pg_trgm'
import { TYPE_PARSERS } from './types.js'
import { withPreparedStatements } from './pglite-prepared.js'

export interface PgliteOpenOptions {
  /** shared_buffers in MB (./pglite-buffers.ts). */
  sharedBuffersMb: number
  /** Start from this `dumpDataDir()` tarball (test fixtures). */
  loadDataDir?: Blob | undefined
}

export async function openPgliteHere(dataDir: string, opts: PgliteOpenOptions): Promise<PGlite> {
  const pglite = await PGlite.create(dataDir, {
    parsers: TYPE_PARSERS,
    loadDataDir: opts.loadDataDir,
    // Trigram indexes for searching customers by part of an email or name (see migrations/).
    extensions: { pg_trgm },
    startParams: startParams(opts.sharedBuffersMb),
  })
  return withPreparedStatements(pglite)
}

/** PGlite's defaults, with a smaller shared buffer pool: its 128 MB is zeroed at every start
 *  (measured: most of a warm start's CPU) and stays resident (~130 MB of the server's RSS), while
 *  the files underneath sit in the OS page cache anyway; sized to the database (./pglite-buffers.ts).
 *  max_connections sizes shared memory too, and single-user PGlite has one connection. */
const startParams = (sharedBuffersMb: number) => [
  ...PGlite.defaultStartParams,
  ...['-c', `shared_buffers=${sharedBuffersMb}MB`, '-c', 'max_connections=5'],
]
