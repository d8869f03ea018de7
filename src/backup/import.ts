// Reading a bundle back (the format is ./bundle.ts) into a database that holds no account yet.
import { sql, type Kysely, type Transaction } from 'kysely'
import type { Database } from '../db/schema.js'
import {
  BUNDLE_FORMAT,
  BUNDLE_VERSION,
  BundleError,
  hashOfNothing,
  hashTable,
  schemaVersion,
  utc,
  type BundleHeader,
  type Line,
  type Manifest,
} from './bundle.js'
import { BUNDLE_TABLES } from './tables.js'

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
        'target',
      )
    }

    let header: BundleHeader | undefined
    let manifest: Manifest | undefined
    const specs = new Map(BUNDLE_TABLES.map((s) => [s.name as string, s]))
    const columns = new Map<string, string[]>()
    // Per table with self-references: the lines whose pointers are set once every row is in.
    const deferred = new Map<string, string[]>()
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
      // The rows go to Postgres as the line's own text, never parsed and written again: JSON.parse
      // would turn a jsonb number such as 29.00 into 29, and the checksum would no longer match.
      const rows = sql`(${text}::jsonb -> 'rows')`
      const refs = spec.selfRefs ?? []
      // A row that points at another row of its table (a merged customer at its survivor) gets the
      // pointer once every row is in (the survivor may come later in the file).
      if (refs.some((c) => line.rows.some((r) => (r as Record<string, unknown>)[c] != null))) {
        deferred.set(spec.name, [...(deferred.get(spec.name) ?? []), text])
      }
      const list = sql.join(cols.map((c) => sql.ref(c)))
      const values = sql.join(cols.map((c) => (refs.includes(c) ? sql`NULL` : sql.ref(c))))
      await sql`
        INSERT INTO ${sql.table(spec.name)} (${list}) OVERRIDING SYSTEM VALUE
        SELECT ${values} FROM jsonb_populate_recordset(NULL::${sql.table(spec.name)}, ${rows})`.execute(
        trx,
      )
      // The target was empty and the history's own rows come after these: every row it has now
      // was written by the trigger, and would double the history (and take the imported ids).
      if (spec.history) await sql`DELETE FROM ${sql.table(spec.history)}`.execute(trx)
    }
    if (!header) throw new BundleError('the file is empty')
    if (!manifest)
      throw new BundleError('the bundle ends before its manifest: the file is cut short')

    for (const [table, texts] of deferred) {
      const spec = specs.get(table)!
      const refs = spec.selfRefs!
      const set = sql.join(refs.map((c) => sql`${sql.ref(c)} = x.${sql.ref(c)}`))
      const match = sql.join(
        spec.key.map((k) => sql`t.${sql.ref(k.column)} = x.${sql.ref(k.column)}`),
        sql` AND `,
      )
      const pointing = sql.join(
        refs.map((c) => sql`x.${sql.ref(c)} IS NOT NULL`),
        sql` OR `,
      )
      for (const text of texts) {
        await sql`
          UPDATE ${sql.table(table)} t SET ${set}
          FROM jsonb_populate_recordset(NULL::${sql.table(table)}, ${text}::jsonb -> 'rows') x
          WHERE ${match} AND (${pointing})`.execute(trx)
      }
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
