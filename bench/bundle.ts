// Moving house at size: seeds an embedded PGlite with the dashboard bench's data (60,000
// customers ≈ 100,000 customer-project relations by default) and a merge, then runs the CLI as a
// user would: export (PGlite) → import into a throwaway PostgreSQL → export again → import into a
// new PGlite. It prints each step's time and the bundle's size, and checks that every bundle's
// manifest (row counts and SHA-256 per table) equals the first one and the merge still undoes.
//   npx tsx bench/bundle.ts [--customers 60000]
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { gunzipSync } from 'node:zlib'
import pg from 'pg'
import { runCli } from '../src/cli/run.js'
import { openNodeDb } from '../src/db/node.js'
import { mergeCustomers, undoMerge } from '../src/merges/store.js'
import { startPostgres } from '../test/support/postgres-server.js'
import { seed } from './dashboard-seed.js'

const { values } = parseArgs({ options: { customers: { type: 'string', default: '60000' } } })
const customers = Number(values.customers)
const tmp = mkdtempSync(join(tmpdir(), 'tinycrm-bundle-bench-'))
const server = await startPostgres({ durable: true })
const seconds = (since: number) => ((performance.now() - since) / 1000).toFixed(1)

async function cli(args: string[]) {
  let out = ''
  const started = performance.now()
  const code = await runCli(args, {
    stdout: (t) => void (out += t),
    stderr: (t) => void (out += t),
    env: {},
    readStdin: async () => '',
  })
  if (code !== 0) throw new Error(`${args.join(' ')} failed:\n${out}`)
  return seconds(started)
}

const manifestOf = (file: string) =>
  gunzipSync(readFileSync(file)).toString('utf8').trimEnd().split('\n').at(-1)!

try {
  const first = join(tmp, 'first')
  const source = await openNodeDb({ dataDir: first })
  let started = performance.now()
  const { accountId, relations } = await seed(source.db, customers)
  const ids = await source.db
    .selectFrom('customers')
    .select('id')
    .where('account_id', '=', accountId)
    .orderBy('id')
    .limit(2)
    .execute()
  const { mergeId } = await mergeCustomers(source.db, {
    accountId,
    survivorId: ids[0]!.id,
    absorbedId: ids[1]!.id,
    actor: 'bench',
  })
  await source.close()
  console.log(`seeded ${customers} customers, ${relations} relations in ${seconds(started)} s`)

  const a = join(tmp, 'a.tinycrm.gz')
  const b = join(tmp, 'b.tinycrm.gz')
  const c = join(tmp, 'c.tinycrm.gz')
  const pgUrl = server.url.replace(/\/postgres$/, '/moved')
  const admin = new pg.Client({ connectionString: server.url })
  await admin.connect()
  await admin.query('CREATE DATABASE moved')
  await admin.end()

  const rows: [string, string][] = []
  rows.push(['export PGlite', await cli(['export', '--out', a, '--data-dir', first])])
  rows.push([
    'import → PostgreSQL (with checksums)',
    await cli(['import', '--in', a, '--database-url', pgUrl]),
  ])
  rows.push(['export PostgreSQL', await cli(['export', '--out', b, '--database-url', pgUrl])])
  rows.push([
    'import → new PGlite (with checksums)',
    await cli(['import', '--in', b, '--data-dir', join(tmp, 'last')]),
  ])
  rows.push([
    'export new PGlite',
    await cli(['export', '--out', c, '--data-dir', join(tmp, 'last')]),
  ])
  for (const [step, s] of rows) console.log(`${step.padEnd(40)} ${s.padStart(6)} s`)
  console.log(`bundle size: ${(statSync(a).size / 1e6).toFixed(1)} MB gzipped`)
  const same = manifestOf(b) === manifestOf(a) && manifestOf(c) === manifestOf(a)
  console.log(`manifests equal (PGlite → PostgreSQL → PGlite): ${same}`)

  const last = await openNodeDb({ dataDir: join(tmp, 'last') })
  started = performance.now()
  await undoMerge(last.db, { accountId, mergeId, actor: 'bench' })
  console.log(`merge made before the move undone after it (${seconds(started)} s)`)
  await last.close()
  if (!same) process.exitCode = 1
} finally {
  await server.stop()
  rmSync(tmp, { recursive: true, force: true })
}
