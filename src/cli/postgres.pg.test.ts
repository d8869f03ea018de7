// The CLI on a real PostgreSQL server (DATABASE_URL): the same commands, and no lock to refuse,
// so it works while a server is using the database (unlike a PGlite data directory).
import { afterAll, beforeAll, expect, inject, it } from 'vitest'
import { createApp } from '../app.js'
import { openNodeDb, type NodeDb } from '../db/node.js'
import { postJson } from '../../test/support/fixtures.js'
import { runCli } from './run.js'

let server: NodeDb
let app: ReturnType<typeof createApp>

beforeAll(async () => {
  // Stands for a running TinyCRM server: its pool stays open during every CLI run.
  server = await openNodeDb({ databaseUrl: inject('postgresUrl'), poolSize: 2 })
  app = createApp({ db: server.db })
})
afterAll(() => server.close())

async function run(args: string[]) {
  let stdout = ''
  let stderr = ''
  const code = await runCli(args, {
    stdout: (text) => void (stdout += text),
    stderr: (text) => void (stderr += text),
    env: { DATABASE_URL: inject('postgresUrl'), TINYCRM_PASSWORD: 'correct horse battery' },
    readStdin: async () => '',
  })
  return { code, stdout, stderr }
}

const lastLine = (text: string) => text.trimEnd().split('\n').at(-1)!

it('creates an account and a project whose key works, beside a running server', async () => {
  const email = `cli-${Date.now()}@example.com`
  expect(await run(['account', 'create', '--email', email])).toMatchObject({ code: 0, stderr: '' })
  const created = await run(['project', 'create', '--account', email, '--name', 'On Postgres'])
  expect(created.code).toBe(0)
  const key = lastLine(created.stdout)
  const identify = (k: string) => postJson(app, '/v1/identify', k, { email: 'pg@example.com' })
  expect((await identify(key)).status).toBe(200)

  const rotated = await run(['key', 'rotate', '--project', 'on-postgres', '--account', email])
  expect(rotated.code).toBe(0)
  expect((await identify(key)).status).toBe(403)
  expect((await identify(lastLine(rotated.stdout))).status).toBe(200)

  const listed = JSON.parse((await run(['project', 'list', '--account', email, '--json'])).stdout)
  expect(listed).toMatchObject([{ slug: 'on-postgres', activeKeys: 1 }])
})

it('says the database cannot be reached, in one line', async () => {
  const r = await run(['account', 'list', '--database-url', 'postgres://postgres@127.0.0.1:1/none'])
  expect(r).toEqual({
    code: 1,
    stdout: '',
    stderr: 'tinycrm: cannot reach the database: connect ECONNREFUSED 127.0.0.1:1\n',
  })
})
