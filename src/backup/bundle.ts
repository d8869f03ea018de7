// Moving house: every account of a database written to one bundle file, and read back into an
// empty database, PGlite or Postgres alike (`npm run tinycrm -- export|import`). The file is
// gzipped JSON lines: a header (format, the schema's migration), then the rows of each table in
// chunks, then a manifest of row counts and SHA-256 checksums per table. Rows travel as Postgres
// writes them (`to_jsonb`) and are read back with `jsonb_populate_recordset`, so every type
// (timestamps to the microsecond, jsonb params, merge snapshots) round-trips exactly; after an
// import the target's rows are hashed again and must match the manifest, or nothing is kept.
// This file is the format (header, manifest, how a table's rows are read and hashed); ./export.ts
// writes a bundle, ./import.ts reads one back, ./tables.ts lists what it carries.
import { createHash } from 'node:crypto'
import { sql, type Kysely, type Transaction } from 'kysely'
import type { Database } from '../db/schema.js'
import type { TableSpec } from './tables.js'

export const BUNDLE_FORMAT = 'tinycrm-bundle'
export const BUNDLE_VERSION = 1

const CHUNK_ROWS = 2000

export interface BundleHeader {
  format: typeof BUNDLE_FORMAT
  version: number
  /** The newest migration of the database it came from: the target must be at the same one. */
  schema: string
  createdAt: string
}

export interface Manifest {
  tables: Record<string, { rows: number; sha256: string }>
}

export type Line =
  ({ header: true } & BundleHeader) | { table: string; rows: unknown[] } | { manifest: Manifest }

export class BundleError extends Error {
  override name = 'BundleError' as const
  /** What is wrong: the bundle file (the default), or the database it was to go into. */
  constructor(
    message: string,
    readonly about: 'file' | 'target' = 'file',
  ) {
    super(message)
  }
}

export async function schemaVersion(db: Kysely<Database> | Transaction<Database>) {
  const { rows } = await sql<{ name: string }>`
    SELECT name FROM kysely_migration ORDER BY name DESC LIMIT 1`.execute(db)
  return rows[0]?.name ?? '(none)'
}

/** The rows of one table in key order as `to_jsonb` text, page by page (keyset: each page
 *  starts after the last row of the one before). */
export async function* tableRows(trx: Transaction<Database>, spec: TableSpec) {
  const table = sql.table(spec.name)
  const keyOf = (alias: string) =>
    sql.join(
      spec.key.map((k) =>
        k.text
          ? sql`${sql.ref(`${alias}.${k.column}`)} COLLATE "C"`
          : sql.ref(`${alias}.${k.column}`),
      ),
    )
  let last: string | undefined
  for (;;) {
    const after =
      last === undefined
        ? sql`TRUE`
        : sql`(${keyOf('t')}) > (SELECT ${keyOf('l')} FROM jsonb_populate_record(NULL::${table}, ${last}::jsonb) l)`
    const { rows } = await sql<{ j: string }>`
      SELECT to_jsonb(t)::text AS j FROM ${table} t WHERE ${after}
      ORDER BY ${keyOf('t')} LIMIT ${CHUNK_ROWS}`.execute(trx)
    if (rows.length === 0) return
    yield rows.map((r) => r.j)
    if (rows.length < CHUNK_ROWS) return
    last = rows.at(-1)!.j
  }
}

/** Hashes a table as it is in the database: what the manifest says, and what an import checks. */
export async function hashTable(trx: Transaction<Database>, spec: TableSpec) {
  const hash = createHash('sha256')
  let rows = 0
  for await (const page of tableRows(trx, spec)) {
    for (const row of page) hash.update(row).update('\n')
    rows += page.length
  }
  return { rows, sha256: hash.digest('hex') }
}

/** The same timestamps text whatever the server's time zone: to_jsonb writes them in it. */
export const utc = (trx: Transaction<Database>) => sql`SET LOCAL TimeZone = 'UTC'`.execute(trx)

export const hashOfNothing = createHash('sha256').digest('hex')
