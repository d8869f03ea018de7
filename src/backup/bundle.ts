// Moving house: every account of a database written to one bundle file, and read back into an
// empty database, PGlite or Postgres alike (`npm run tinycrm -- export|import`). The file is
// gzipped JSON lines: a header (format, the schema's migration), then the rows of each table in
// chunks, then a manifest of row counts and SHA-256 checksums per table. Rows travel as Postgres
// writes them (`to_jsonb`) and are read back with `jsonb_populate_recordset`, so every type
// (timestamps to the microsecond, jsonb params, merge snapshots) round-trips exactly; after an
// import the target's rows are hashed again and must match the manifest, or nothing is kept.
import { createHash } from 'node:crypto'
import { sql, type Kysely, type Transaction } from 'kysely'
import type { Database } from '../db/schema.js'

export const BUNDLE_FORMAT = 'tinycrm-bundle'
export const BUNDLE_VERSION = 1

interface TableSpec {
  name: keyof Database
  /** The primary key: the order rows are written, read and hashed in. Text columns are compared
   *  in the "C" collation, so PGlite and a Postgres with another locale agree on the order. */
  key: { column: string; text?: boolean }[]
  /** Columns pointing at rows of the same table (a merged customer's survivor may come later):
   *  inserted empty, then set once the whole table is in. */
  selfRefs?: string[]
  /** A history table that a trigger fills when rows are inserted here. The bundle carries the
   *  history as it was (it comes later in the file), so the trigger's own rows are removed. */
  history?: keyof Database
}

const id = [{ column: 'id' }]
/** Every table that belongs to accounts, parents first (the order the foreign keys need). */
export const BUNDLE_TABLES: TableSpec[] = [
  { name: 'accounts', key: id },
  { name: 'users', key: id },
  { name: 'projects', key: id },
  { name: 'api_keys', key: id },
  { name: 'customers', key: id, selfRefs: ['merged_into'] },
  {
    name: 'customer_projects',
    key: [{ column: 'customer_id' }, { column: 'project_id' }],
    history: 'relation_changes',
  },
  { name: 'relation_changes', key: id },
  { name: 'merges', key: id },
  { name: 'account_tokens', key: id },
  { name: 'invites', key: id },
  { name: 'imports', key: id },
  { name: 'import_chunks', key: [{ column: 'import_id' }, { column: 'seq' }] },
  { name: 'import_rejects', key: [{ column: 'import_id' }, { column: 'line' }] },
  { name: 'import_emails', key: [{ column: 'import_id' }, { column: 'email', text: true }] },
  { name: 'audit_events', key: id },
  { name: 'billing_connections', key: [{ column: 'id', text: true }] },
  {
    name: 'billing_events',
    key: [
      { column: 'connection_id', text: true },
      { column: 'event_id', text: true },
    ],
  },
  {
    name: 'billing_customers',
    key: [
      { column: 'project_id' },
      { column: 'provider', text: true },
      { column: 'billing_customer_id', text: true },
    ],
  },
  {
    name: 'billing_relations',
    key: [{ column: 'project_id' }, { column: 'email', text: true }],
  },
  { name: 'saved_views', key: id },
  {
    name: 'segment_messages',
    key: [{ column: 'project_id' }, { column: 'message_id', text: true }],
  },
  {
    name: 'segment_ids',
    key: [{ column: 'project_id' }, { column: 'external_id', text: true }],
  },
]

/** Tables left out on purpose: login sessions (everyone logs in again on the new host) and
 *  failed-login counters; Kysely's migration bookkeeping is the target's own. */
export const NOT_IN_BUNDLE = [
  'sessions',
  'login_failures',
  'kysely_migration',
  'kysely_migration_lock',
]

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

type Line =
  ({ header: true } & BundleHeader) | { table: string; rows: unknown[] } | { manifest: Manifest }

export class BundleError extends Error {
  override name = 'BundleError' as const
}

export async function schemaVersion(db: Kysely<Database> | Transaction<Database>) {
  const { rows } = await sql<{ name: string }>`
    SELECT name FROM kysely_migration ORDER BY name DESC LIMIT 1`.execute(db)
  return rows[0]?.name ?? '(none)'
}

/** The rows of one table in key order as `to_jsonb` text, page by page (keyset: each page
 *  starts after the last row of the one before). */
async function* tableRows(trx: Transaction<Database>, spec: TableSpec) {
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
async function hashTable(trx: Transaction<Database>, spec: TableSpec) {
  const hash = createHash('sha256')
  let rows = 0
  for await (const page of tableRows(trx, spec)) {
    for (const row of page) hash.update(row).update('\n')
    rows += page.length
  }
  return { rows, sha256: hash.digest('hex') }
}

/** The same timestamps text whatever the server's time zone: to_jsonb writes them in it. */
const utc = (trx: Transaction<Database>) => sql`SET LOCAL TimeZone = 'UTC'`.execute(trx)

/**
 * Writes every account of the database, one JSON value per line, through `write` (which may
 * wait, for backpressure). One REPEATABLE READ transaction: a consistent snapshot even while a
 * Postgres-backed server keeps writing.
 */
export async function exportBundle(
  db: Kysely<Database>,
  write: (line: string) => Promise<void>,
): Promise<{ header: BundleHeader; manifest: Manifest }> {
  return db
    .transaction()
    .setIsolationLevel('repeatable read')
    .execute(async (trx) => {
      await utc(trx)
      const header: BundleHeader = {
        format: BUNDLE_FORMAT,
        version: BUNDLE_VERSION,
        schema: await schemaVersion(trx),
        createdAt: new Date().toISOString(),
      }
      await write(JSON.stringify({ header: true, ...header }) + '\n')
      const manifest: Manifest = { tables: {} }
      for (const spec of BUNDLE_TABLES) {
        const hash = createHash('sha256')
        let count = 0
        for await (const page of tableRows(trx, spec)) {
          for (const row of page) hash.update(row).update('\n')
          count += page.length
          // The rows are already JSON text: joined, not parsed and written again.
          await write(`{"table":${JSON.stringify(spec.name)},"rows":[${page.join(',')}]}\n`)
        }
        manifest.tables[spec.name] = { rows: count, sha256: hash.digest('hex') }
      }
      await write(JSON.stringify({ manifest }) + '\n')
      return { header, manifest }
    })
}

/**
 * Loads a bundle into a database that has no account data yet, in one transaction: the rows,
 * then the identity counters moved past the highest id, then every table hashed again and
 * compared with the manifest. Any difference, a truncated file or a bad line rolls it all back.
 */
export async function importBundle(
  db: Kysely<Database>,
  lines: AsyncIterable<string>,
): Promise<{ header: BundleHeader; manifest: Manifest }> {
  return db.transaction().execute(async (trx) => {
    await utc(trx)
    // Two imports into one database at once: the second waits here, then finds it not empty.
    await sql`LOCK TABLE accounts IN EXCLUSIVE MODE`.execute(trx)
    const target = await schemaVersion(trx)
    const nonEmpty = []
    for (const spec of BUNDLE_TABLES) {
      const { rows } = await sql`SELECT 1 FROM ${sql.table(spec.name)} LIMIT 1`.execute(trx)
      if (rows.length > 0) nonEmpty.push(spec.name)
    }
    if (nonEmpty.length > 0) {
      throw new BundleError(
        `The target database is not empty (${nonEmpty.join(', ')} have rows): import only into a ` +
          'new data directory or an empty Postgres database',
      )
    }

    let header: BundleHeader | undefined
    let manifest: Manifest | undefined
    const specs = new Map(BUNDLE_TABLES.map((s) => [s.name as string, s]))
    const columns = new Map<string, string[]>()
    const deferred = new Map<string, unknown[]>()
    let lineNo = 0
    for await (const text of lines) {
      lineNo++
      if (text === '') continue
      if (manifest) throw new BundleError(`line ${lineNo}: data after the manifest`)
      let line: Line
      try {
        line = JSON.parse(text) as Line
      } catch {
        throw new BundleError(`line ${lineNo}: not JSON (is this a TinyCRM bundle?)`)
      }
      if (!header) {
        if (!('header' in line) || line.format !== BUNDLE_FORMAT) {
          throw new BundleError('not a TinyCRM bundle (no tinycrm-bundle header on the first line)')
        }
        if (line.version !== BUNDLE_VERSION) {
          throw new BundleError(
            `bundle format version ${line.version}; this TinyCRM reads ${BUNDLE_VERSION}`,
          )
        }
        if (line.schema !== target) {
          throw new BundleError(
            `the bundle was written at schema ${line.schema}, this TinyCRM is at ${target}: ` +
              'import it with the TinyCRM version that wrote it, then upgrade (migrations run on start)',
          )
        }
        const { header: _, ...rest } = line
        header = rest
        continue
      }
      if ('manifest' in line) {
        manifest = line.manifest
        continue
      }
      if (!('table' in line) || !Array.isArray(line.rows)) {
        throw new BundleError(`line ${lineNo}: expected {"table", "rows"}`)
      }
      const spec = specs.get(line.table)
      if (!spec)
        throw new BundleError(`line ${lineNo}: unknown table ${JSON.stringify(line.table)}`)
      let cols = columns.get(spec.name)
      if (!cols) {
        cols = await insertableColumns(trx, spec.name)
        columns.set(spec.name, cols)
      }
      let rows = line.rows
      if (spec.selfRefs) {
        const refs = spec.selfRefs
        const later = rows.filter((r) =>
          refs.some((c) => (r as Record<string, unknown>)[c] != null),
        )
        if (later.length) deferred.set(spec.name, [...(deferred.get(spec.name) ?? []), ...later])
        rows = rows.map((r) => ({
          ...(r as object),
          ...Object.fromEntries(refs.map((c) => [c, null])),
        }))
      }
      const list = sql.join(cols.map((c) => sql.ref(c)))
      await sql`
        INSERT INTO ${sql.table(spec.name)} (${list}) OVERRIDING SYSTEM VALUE
        SELECT ${list} FROM jsonb_populate_recordset(NULL::${sql.table(spec.name)}, ${JSON.stringify(rows)}::jsonb)`.execute(
        trx,
      )
      // The target was empty and the history's own rows come after these: every row it has now
      // was written by the trigger, and would double the history (and take the imported ids).
      if (spec.history) await sql`DELETE FROM ${sql.table(spec.history)}`.execute(trx)
    }
    if (!header) throw new BundleError('the file is empty')
    if (!manifest)
      throw new BundleError('the bundle ends before its manifest: the file is cut short')

    for (const [table, rows] of deferred) {
      const spec = specs.get(table)!
      const set = sql.join(spec.selfRefs!.map((c) => sql`${sql.ref(c)} = x.${sql.ref(c)}`))
      const match = sql.join(
        spec.key.map((k) => sql`t.${sql.ref(k.column)} = x.${sql.ref(k.column)}`),
        sql` AND `,
      )
      await sql`
        UPDATE ${sql.table(table)} t SET ${set}
        FROM jsonb_populate_recordset(NULL::${sql.table(table)}, ${JSON.stringify(rows)}::jsonb) x
        WHERE ${match}`.execute(trx)
    }
    await moveIdentitiesPastImportedIds(trx)

    for (const spec of BUNDLE_TABLES) {
      const expected = manifest.tables[spec.name] ?? { rows: 0, sha256: hashOfNothing }
      const got = await hashTable(trx, spec)
      if (got.rows !== expected.rows || got.sha256 !== expected.sha256) {
        throw new BundleError(
          `${spec.name}: ${got.rows} rows imported with checksum ${got.sha256.slice(0, 12)}…, the ` +
            `manifest says ${expected.rows} rows, ${expected.sha256.slice(0, 12)}…: nothing was imported`,
        )
      }
    }
    return { header, manifest }
  })
}

const hashOfNothing = createHash('sha256').digest('hex')

/** The table's columns a row can be given (not generated ones), in table order. */
async function insertableColumns(trx: Transaction<Database>, table: string) {
  const { rows } = await sql<{ column_name: string }>`
    SELECT column_name FROM information_schema.columns
    WHERE table_schema = current_schema() AND table_name = ${table} AND is_generated = 'NEVER'
    ORDER BY ordinal_position`.execute(trx)
  return rows.map((r) => r.column_name)
}

/** Rows came with their ids: the next id each table hands out must come after them. */
async function moveIdentitiesPastImportedIds(trx: Transaction<Database>) {
  const { rows } = await sql<{ table_name: string; column_name: string }>`
    SELECT table_name, column_name FROM information_schema.columns
    WHERE table_schema = current_schema() AND is_identity = 'YES'`.execute(trx)
  for (const { table_name, column_name } of rows) {
    if (!BUNDLE_TABLES.some((s) => s.name === table_name)) continue
    await sql`
      SELECT setval(pg_get_serial_sequence(${table_name}, ${column_name}), max_id)
      FROM (SELECT max(${sql.ref(column_name)}) AS max_id FROM ${sql.table(table_name)}) m
      WHERE max_id IS NOT NULL`.execute(trx)
  }
}
