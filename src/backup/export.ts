// Writing a bundle (the format is ./bundle.ts): every account of the database, in one snapshot.
import { createHash } from 'node:crypto'
import type { Kysely } from 'kysely'
import type { Database } from '../db/schema.js'
import {
  BUNDLE_FORMAT,
  BUNDLE_VERSION,
  schemaVersion,
  tableRows,
  utc,
  type BundleHeader,
  type Manifest,
} from './bundle.js'
import { BUNDLE_TABLES } from './tables.js'

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
