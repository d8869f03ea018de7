// How much shared buffer pool PGlite starts with. PostgreSQL zeroes the whole pool when it starts
// (PGlite's mmap is a malloc and a memset in WebAssembly: ~4 ms a MB on a 2-core machine, the
// largest single cost of a warm start), and the zeroed pages stay resident. A database that fits in
// the small pool gains nothing from the large one; a larger database keeps the large one, whose
// pages the customers page reads again and again.
import { readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'

/** The pool for a database that fits in it, and for any other (in MB). */
export const SMALL_POOL_MB = 16
export const LARGE_POOL_MB = 32

/** The shared buffers (MB) for the data directory as it is now: the small pool while TinyCRM's
 *  database fits in it. A data directory without it yet (before initdb) starts small. */
export function sharedBuffersMb(dataDir: string): number {
  return databaseBytes(dataDir) <= SMALL_POOL_MB * 2 ** 20 ? SMALL_POOL_MB : LARGE_POOL_MB
}

/** PGlite opens the database `postgres`, whose files are under base/5 (PostgreSQL's fixed oid for
 *  it since version 15; the other two are its templates). Only its files are read: one stat each,
 *  ~460 of them for an empty TinyCRM (6–9 ms; the three databases took 10–17). */
const DATABASE_DIR = join('base', '5')

function databaseBytes(dataDir: string): number {
  const dir = join(dataDir, DATABASE_DIR)
  let files: string[]
  try {
    files = readdirSync(dir)
  } catch {
    return 0
  }
  let bytes = 0
  for (const file of files) bytes += statSync(join(dir, file), { throwIfNoEntry: false })?.size ?? 0
  return bytes
}
