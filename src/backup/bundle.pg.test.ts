// Moving house between stores, through the CLI as a user runs it (real gzipped files): a
// PostgreSQL database → a new PGlite data directory → another PostgreSQL database. At each stop
// the per-table checksums equal the first bundle's, every README question answers the same JSON,
// and the merge made before the move can be undone after it. And two imports racing into one
// empty database: one loads, the other is refused, and nothing is loaded twice.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { gunzipSync } from 'node:zlib'
import pg from 'pg'
import { afterAll, beforeAll, expect, inject, it } from 'vitest'
import { answers, seedForMove, undo } from '../../test/support/moving.js'
import { createApp } from '../app.js'
import { openNodeDb, type NodeDb } from '../db/node.js'
import { runCli } from '../cli/run.js'

const tmp = mkdtempSync(join(tmpdir(), 'tinycrm-bundle-pg-'))
const opened: NodeDb[] = []
let admin: pg.Client
let n = 0

/** A new, migrated, empty database on the test server. */
async function freshDatabase() {
  const name = `bundle_${process.pid}_${++n}`
  await admin.query(`CREATE DATABASE ${name}`)
  const url = inject('postgresUrl').replace(/\/[^/]+$/, `/${name}`)
  const node = await openNodeDb({ databaseUrl: url, migrate: true, poolSize: 4 })
  opened.push(node)
  return { url, node }
}

beforeAll(async () => {
  admin = new pg.Client({
    connectionString: inject('postgresUrl').replace(/\/[^/]+$/, '/postgres'),
  })
  await admin.connect()
})
afterAll(async () => {
  for (const node of opened) await node.close()
  await admin.end()
  rmSync(tmp, { recursive: true, force: true })
})

async function cli(args: string[]) {
  let stdout = ''
  let stderr = ''
  const code = await runCli(args, {
    stdout: (text) => void (stdout += text),
    stderr: (text) => void (stderr += text),
    env: {},
    readStdin: async () => '',
  })
  return { code, stdout, stderr }
}

const manifestOf = (file: string) =>
  JSON.parse(gunzipSync(readFileSync(file)).toString('utf8').trimEnd().split('\n').at(-1)!)

it('Postgres → PGlite → Postgres: same checksums, same answers, the merge still undoes', async () => {
  const first = await freshDatabase()
  const moved = await seedForMove(createApp({ db: first.node.db }), first.node.db)
  const expected = await answers(createApp({ db: first.node.db }), moved.token)

  const a = join(tmp, 'from-postgres.tinycrm.gz')
  const exported = await cli(['export', '--out', a, '--database-url', first.url])
  expect(exported).toMatchObject({ code: 0, stderr: '' })
  expect(exported.stdout).toMatch(/^Exported to .*\nTABLE +ROWS +SHA-256\n/)
  expect(exported.stdout).toMatch(/^customers +\d+ +[0-9a-f]{16}…$/m)

  const dir = join(tmp, 'pglite')
  const intoPglite = await cli(['import', '--in', a, '--data-dir', dir])
  expect(intoPglite.code, intoPglite.stderr).toBe(0)
  expect(intoPglite.stdout).toContain('every table matches its checksum')

  const b = join(tmp, 'from-pglite.tinycrm.gz')
  expect((await cli(['export', '--out', b, '--data-dir', dir])).code).toBe(0)
  expect(manifestOf(b)).toEqual(manifestOf(a))

  const last = await freshDatabase()
  const intoPostgres = await cli(['import', '--in', b, '--database-url', last.url])
  expect(intoPostgres.code, intoPostgres.stderr).toBe(0)

  const pglite = await openNodeDb({ dataDir: dir })
  try {
    expect(await answers(createApp({ db: pglite.db }), moved.token)).toEqual(expected)
    expect(await undo(createApp({ db: pglite.db }), moved.token, moved.mergeId)).toMatchObject({
      status: 200,
    })
  } finally {
    await pglite.close()
  }
  const app = createApp({ db: last.node.db })
  expect(await answers(app, moved.token)).toEqual(expected)
  expect(await undo(app, moved.token, moved.mergeId)).toMatchObject({ status: 200 })
}, 300_000)

it('two imports into one empty database at once: one loads, the other is refused', async () => {
  const source = await freshDatabase()
  await seedForMove(createApp({ db: source.node.db }), source.node.db)
  const file = join(tmp, 'race.tinycrm.gz')
  expect((await cli(['export', '--out', file, '--database-url', source.url])).code).toBe(0)

  const target = await freshDatabase()
  const both = await Promise.all(
    [0, 1].map(() => cli(['import', '--in', file, '--database-url', target.url])),
  )
  expect(both.map((r) => r.code).sort()).toEqual([0, 1])
  const refused = both.find((r) => r.code === 1)!
  expect(refused.stderr).toMatch(/^tinycrm: The target database is not empty \(accounts, /)
  const counts = async (db: NodeDb['db']) =>
    (
      await db
        .selectFrom('customers')
        .select((eb) => eb.fn.countAll<string>().as('n'))
        .execute()
    )[0]!.n
  expect(Number(await counts(target.node.db))).toBe(Number(await counts(source.node.db)))
}, 120_000)

it('an export on Postgres reads one snapshot while writes go on', async () => {
  const source = await freshDatabase()
  const moved = await seedForMove(createApp({ db: source.node.db }), source.node.db)
  const app = createApp({ db: source.node.db })
  const file = join(tmp, 'live.tinycrm.gz')
  let writing = true
  const writes = (async () => {
    for (let i = 0; writing; i++) {
      const res = await app.request('/v1/identify', {
        method: 'POST',
        headers: { Authorization: `Bearer ${moved.keys.a}`, 'Content-Type': 'application/json' },
        body: JSON.stringify({ email: `live${i}@example.com`, params: { i } }),
      })
      expect(res.status).toBe(200)
    }
  })()
  const exported = await cli(['export', '--out', file, '--database-url', source.url])
  writing = false
  await writes
  expect(exported.code, exported.stderr).toBe(0)
  // Whatever instant it caught, the bundle is whole: it imports and matches its own manifest.
  const target = await freshDatabase()
  const imported = await cli(['import', '--in', file, '--database-url', target.url])
  expect(imported.code, imported.stderr).toBe(0)
}, 120_000)
