// Restoring into Neon. The CLI reaches Neon the way it reaches any Postgres: over TCP with its
// DATABASE_URL (the import is one long transaction, which Neon's HTTP driver cannot hold: see
// the first test). What Neon adds is the owner it gives you, who is not a superuser, and the
// Worker reading the restored data through Neon's HTTP driver. So the target here is a database
// owned by such a role, loaded by `import --database-url`, then read by the Worker's data layer
// (openNeonDb) through the local Neon HTTP endpoint: the same ids, relations and answers, a merge
// from before the move undone over HTTP, and a failed restore leaving the target empty.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { gunzipSync, gzipSync } from 'node:zlib'
import type { Kysely } from 'kysely'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { answers, seedForMove, undo } from '../../test/support/moving.js'
import { startNeonHttpEndpoint } from '../../scripts/neon-http-endpoint.js'
import { createApp } from '../app.js'
import { runCli } from '../cli/run.js'
import { openNeonDb } from '../db/neon.js'
import { openNodeDb, type NodeDb } from '../db/node.js'
import type { Database } from '../db/schema.js'
import { importBundle } from './import.js'

const OWNER = `neon_owner_${process.pid}`
const tmp = mkdtempSync(join(tmpdir(), 'tinycrm-bundle-neon-'))
const serverUrl = () => inject('postgresUrl').replace(/\/[^/]+$/, '/postgres')
const closers: (() => Promise<void>)[] = []
let admin: pg.Client
let n = 0

beforeAll(async () => {
  admin = new pg.Client({ connectionString: serverUrl() })
  await admin.connect()
  // Like the role Neon's console gives you: owns its database, no superuser, no CREATEDB.
  await admin.query(`CREATE ROLE ${OWNER} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE`)
})
afterAll(async () => {
  for (const close of closers.reverse()) await close()
  for (let i = 1; i <= n; i++)
    await admin.query(`DROP DATABASE IF EXISTS neon_${process.pid}_${i} WITH (FORCE)`)
  await admin.query(`DROP ROLE IF EXISTS ${OWNER}`)
  await admin.end()
  rmSync(tmp, { recursive: true, force: true })
})

/** An empty database owned by the Neon-like role (not migrated: the CLI migrates it, as that
 *  role), and the Worker's data layer on it through the local Neon HTTP endpoint. */
async function neonTarget() {
  const name = `neon_${process.pid}_${++n}`
  await admin.query(`CREATE DATABASE ${name} OWNER ${OWNER}`)
  const url = new URL(serverUrl())
  url.username = OWNER
  url.pathname = `/${name}`
  const pool = await openNodeDb({ databaseUrl: url.href, poolSize: 2 })
  const endpoint = await startNeonHttpEndpoint({ pool: pool.pool })
  closers.push(
    () => pool.close(),
    () => endpoint.close(),
  )
  const db = openNeonDb('postgres://tinycrm:test@localhost/tinycrm', {
    fetchEndpoint: endpoint.url,
  })
  return { url: url.href, endpoint, db }
}

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

const count = async (db: Kysely<Database>, table: 'accounts' | 'customers' | 'customer_projects') =>
  Number(
    (await db
      .selectFrom(table)
      .select((eb) => eb.fn.countAll<string>().as('n'))
      .executeTakeFirst())!.n,
  )

/** Ids and the links between rows: what a restore must keep exactly. */
const relations = async (db: Kysely<Database>) => ({
  customers: await db
    .selectFrom('customers')
    .select(['id', 'account_id', 'email', 'merged_into'])
    .orderBy('id')
    .execute(),
  relations: await db
    .selectFrom('customer_projects')
    .select(['customer_id', 'project_id', 'status', 'params'])
    .orderBy('customer_id')
    .orderBy('project_id')
    .execute(),
  merges: await db.selectFrom('merges').select(['id', 'survivor_id']).orderBy('id').execute(),
})

let source: NodeDb
let moved: Awaited<ReturnType<typeof seedForMove>>
let bundle: string

beforeAll(async () => {
  const name = `neon_${process.pid}_${++n}`
  await admin.query(`CREATE DATABASE ${name}`)
  const url = serverUrl().replace(/\/postgres$/, `/${name}`)
  source = await openNodeDb({ databaseUrl: url, migrate: true, poolSize: 4 })
  closers.push(() => source.close())
  moved = await seedForMove(createApp({ db: source.db }), source.db)
  bundle = join(tmp, 'backup.tinycrm.gz')
  const exported = await cli(['export', '--out', bundle, '--database-url', url])
  expect(exported.code, exported.stderr).toBe(0)
}, 120_000)

it("refuses to import over Neon's HTTP driver before any statement is sent", async () => {
  const target = await neonTarget()
  const lines = gunzipSync(readFileSync(bundle)).toString('utf8').split('\n')
  async function* each() {
    yield* lines
  }
  await expect(importBundle(target.db, each())).rejects.toThrow(/interactive transactions/)
  expect(target.endpoint.stats.queries).toBe(0)
})

it('import --database-url into a Neon-like owner: the Worker reads the same ids, relations and answers', async () => {
  const target = await neonTarget()
  const imported = await cli(['import', '--in', bundle, '--database-url', target.url])
  expect(imported.code, imported.stderr).toBe(0)
  expect(imported.stdout).toContain('every table matches its checksum')

  expect(await count(target.db, 'customers')).toBe(await count(source.db, 'customers'))
  expect(await count(target.db, 'customer_projects')).toBe(
    await count(source.db, 'customer_projects'),
  )
  expect(await relations(target.db)).toEqual(await relations(source.db))
  const worker = createApp({ db: target.db })
  expect(await answers(worker, moved.token)).toEqual(
    await answers(createApp({ db: source.db }), moved.token),
  )

  // The merge made before the move undoes over HTTP (one batch), and new rows get new ids.
  expect(await undo(worker, moved.token, moved.mergeId)).toMatchObject({ status: 200 })
  const res = await worker.request('/v1/identify', {
    method: 'POST',
    headers: { Authorization: `Bearer ${moved.keys.a}`, 'Content-Type': 'application/json' },
    body: JSON.stringify({ email: 'after.the.move@example.com', status: 'paid' }),
  })
  expect(res.status).toBe(200)
  const maxBefore = Math.max(...(await relations(source.db)).customers.map((c) => c.id))
  const added = await target.db
    .selectFrom('customers')
    .select('id')
    .where('email', '=', 'after.the.move@example.com')
    .executeTakeFirstOrThrow()
  expect(added.id).toBeGreaterThan(maxBefore)
}, 120_000)

describe('a restore that fails midway leaves the Neon target empty, and a retry loads it', () => {
  const text = () => gunzipSync(readFileSync(bundle)).toString('utf8')
  const cases: [string, () => Buffer, RegExp][] = [
    [
      'a relation pointing at a project that is not there',
      () => {
        const lines = text().split('\n')
        const i = lines.findIndex((l) => l.startsWith('{"table":"customer_projects"'))
        lines[i] = lines[i]!.replace(/"project_id": \d+/, '"project_id": 987654')
        return gzipSync(lines.join('\n'))
      },
      /customer_projects.*foreign key|foreign key.*customer_projects/,
    ],
    [
      'cut in the middle',
      () => {
        const whole = readFileSync(bundle)
        return whole.subarray(0, Math.floor(whole.length / 2))
      },
      /is not a gzipped TinyCRM bundle \(unexpected end of file\)/,
    ],
  ]
  for (const [what, make, message] of cases) {
    it(
      what,
      async () => {
        const file = join(tmp, `bad-${what.split(' ')[0]}-${Math.random()}.tinycrm.gz`)
        writeFileSync(file, make())
        const target = await neonTarget()
        const failed = await cli(['import', '--in', file, '--database-url', target.url])
        expect(failed.code).toBe(1)
        expect(failed.stderr).toMatch(message)
        for (const table of ['accounts', 'customers', 'customer_projects'] as const) {
          expect(await count(target.db, table), table).toBe(0)
        }
        const retried = await cli(['import', '--in', bundle, '--database-url', target.url])
        expect(retried.code, retried.stderr).toBe(0)
        expect(await relations(target.db)).toEqual(await relations(source.db))
      },
      120_000,
    )
  }
})
