// `export` and `import`: the whole database (every account) to one bundle file and back, to move
// between PGlite, Postgres and Neon, or to keep a backup. The format is src/backup/bundle.ts.
import { createReadStream, createWriteStream, existsSync, renameSync, rmSync } from 'node:fs'
import { once } from 'node:events'
import { resolve } from 'node:path'
import { pipeline } from 'node:stream/promises'
import { createGunzip, createGzip } from 'node:zlib'
import type { Readable } from 'node:stream'
import { BundleError, type Manifest } from '../backup/bundle.js'
import { exportBundle } from '../backup/export.js'
import { importBundle } from '../backup/import.js'
import { CliError, formatTable, str, type Command } from './command.js'

const summary = (m: Manifest) =>
  formatTable(
    ['TABLE', 'ROWS', 'SHA-256'],
    Object.entries(m.tables)
      .filter(([, t]) => t.rows > 0)
      .map(([name, t]) => [name, String(t.rows), t.sha256.slice(0, 16) + '…']),
  )

export const exportCommand: Command = {
  name: 'export',
  summary: 'Write every account (customers, projects, keys, merges, …) to one bundle file',
  usage: '--out FILE',
  help:
    'FILE is gzipped JSON lines: a header, the rows of every table, and a manifest of row counts\n' +
    'and SHA-256 checksums. It holds password hashes, key hashes and billing signing secrets:\n' +
    'keep it as private as the database (it is written readable by you only). Login sessions are\n' +
    'not in it. An existing FILE is not overwritten. On Postgres it runs beside a live server (one\n' +
    'consistent snapshot); a PGlite data directory must be free: stop the server for a moment.\n\n' +
    'Example:\n' +
    '  npm run tinycrm -- export --out tinycrm-$(date +%F).tinycrm.gz',
  options: { out: { type: 'string' } },
  required: ['out'],
  async prepare(values) {
    const out = resolve(str(values, 'out')!)
    if (existsSync(out))
      throw new CliError(`${out} already exists: remove it or choose another --out`)
  },
  async run({ db, values, io }) {
    const out = resolve(str(values, 'out')!)
    // Written next to the target and renamed at the end: a failed export leaves no half file.
    const partial = `${out}.partial`
    const gzip = createGzip()
    const done = pipeline(gzip, createWriteStream(partial, { mode: 0o600 }))
    try {
      const { manifest } = await exportBundle(db, async (line) => {
        if (!gzip.write(line)) await once(gzip, 'drain')
      })
      gzip.end()
      await done
      renameSync(partial, out)
      io.stdout(`Exported to ${out}\n${summary(manifest)}`)
    } catch (err) {
      gzip.destroy()
      await done.catch(() => {})
      rmSync(partial, { force: true })
      throw err
    }
  },
}

export const importCommand: Command = {
  name: 'import',
  summary: 'Load a bundle made by `export` into an empty database',
  usage: '--in FILE',
  help:
    'The target (a new --data-dir, or an empty Postgres/Neon with --database-url) must hold no\n' +
    'account yet, and be at the schema the bundle was written at (the same TinyCRM version):\n' +
    'import first, then upgrade. Everything goes in one transaction; afterwards every table is\n' +
    'hashed again and compared with the manifest, and on any difference nothing is kept.\n\n' +
    'Example:\n' +
    '  npm run tinycrm -- import --in backup.tinycrm.gz --database-url "$NEON_URL"',
  options: { in: { type: 'string' } },
  required: ['in'],
  createsDatabase: true,
  async prepare(values) {
    const file = resolve(str(values, 'in')!)
    if (!existsSync(file)) throw new CliError(`--in: no file ${file}`)
  },
  async run({ db, values, io }) {
    const file = resolve(str(values, 'in')!)
    const gunzip = createGunzip()
    // A cut file's gzip error can come after the lines ran out (the import has then failed on
    // its own, "ends before its manifest"): kept here, it is never an uncaught exception.
    let gzipError: Error | undefined
    // (Only zlib's own: stopping early, as a failed import does, aborts the stream too.)
    gunzip.on('error', (err: Error & { code?: string }) => {
      if (err.code?.startsWith('Z_')) gzipError ??= err
    })
    const source = createReadStream(file)
    source.on('error', (err) => gunzip.destroy(err))
    source.pipe(gunzip)
    try {
      const { header, manifest } = await importBundle(db, readLines(gunzip))
      io.stdout(
        `Imported ${file} (written ${header.createdAt}); every table matches its checksum.\n` +
          summary(manifest),
      )
    } catch (err) {
      const zlibError = (err as { code?: string }).code?.startsWith('Z_') ? err : gzipError
      if (zlibError) {
        throw new CliError(
          `--in: ${file} is not a gzipped TinyCRM bundle (${(zlibError as Error).message})`,
        )
      }
      // A database that is not empty is no fault of the file: its message names the target.
      if (err instanceof BundleError) {
        throw new CliError(err.about === 'target' ? err.message : `--in: ${err.message}`)
      }
      throw err
    } finally {
      source.destroy()
    }
  },
}

/** The lines of a stream, pulled as they are needed (the import waits on the database between
 *  lines, and a pulled stream cannot run ahead and lose any, as readline's events can). */
async function* readLines(stream: Readable): AsyncGenerator<string> {
  stream.setEncoding('utf8')
  let rest = ''
  for await (const chunk of stream as AsyncIterable<string>) {
    const parts = (rest + chunk).split('\n')
    rest = parts.pop()!
    yield* parts
  }
  if (rest) yield rest
}
