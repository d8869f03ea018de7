// The CLI on a real PostgreSQL server (DATABASE_URL): the same commands, and no lock to refuse,
// so it works while a server is using the database (unlike a PGlite data directory).
import { afterAll, beforeAll, expect, inject, it } from 'vitest'
import { checkLogin } from '../auth/login.js'
import { createSession } from '../auth/sessions.js'
import { createApp } from '../app.js'
import type { NodeDb } from '../db/node.js'
import { openTestDb } from '../../test/support/pg-harness.js'
import { postJson } from '../../test/support/fixtures.js'
import { runCli } from './run.js'

let server: NodeDb
let app: ReturnType<typeof createApp>

beforeAll(async () => {
  // Stands for a running TinyCRM server: its pool stays open during every CLI run.
  server = await openTestDb({ poolSize: 2 })
  app = createApp({ db: server.db })
})
afterAll(() => server.close())

async function run(args: string[], password = 'correct horse battery') {
  let stdout = ''
  let stderr = ''
  const code = await runCli(args, {
    stdout: (text) => void (stdout += text),
    stderr: (text) => void (stderr += text),
    env: { DATABASE_URL: inject('postgresUrl'), TINYCRM_PASSWORD: password },
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

// The write paths of the CLI, each run several times at the same instant on a real server
// (PGlite runs one statement at a time and would hide these races).
const together = <T>(n: number, f: (i: number) => Promise<T>) =>
  Promise.all(Array.from({ length: n }, (_, i) => f(i)))

it('project create --if-missing run 8 times at once makes one project with one key', async () => {
  const email = `race-project-${Date.now()}@example.com`
  await run(['account', 'create', '--email', email])
  const runs = await together(8, () =>
    run(['project', 'create', '--account', email, '--name', 'Raced', '--if-missing']),
  )
  expect(runs.map((r) => r.code)).toEqual(Array(8).fill(0))
  const keys = runs.map((r) => r.stdout).filter(Boolean)
  expect(keys).toHaveLength(1)
  expect(runs.filter((r) => r.stderr.includes('already exists'))).toHaveLength(7)
  const listed = JSON.parse((await run(['project', 'list', '--account', email, '--json'])).stdout)
  expect(listed).toMatchObject([{ slug: 'raced', activeKeys: 1 }])
  const key = lastLine(keys[0]!)
  expect((await postJson(app, '/v1/identify', key, { email: 'r@example.com' })).status).toBe(200)
})

it('tokens created at once are all distinct; one revoked twice at once is revoked once', async () => {
  const email = `race-token-${Date.now()}@example.com`
  await run(['account', 'create', '--email', email])
  const made = await together(6, (i) =>
    run(['token', 'create', '--account', email, '--name', `t${i}`]),
  )
  const tokens = new Set(made.map((r) => lastLine(r.stdout)))
  expect(tokens.size).toBe(6)
  const [first] = JSON.parse((await run(['token', 'list', '--account', email, '--json'])).stdout)
  const revokes = await together(4, () =>
    run(['token', 'revoke', '--account', email, '--id', String(first.id)]),
  )
  expect(revokes.map((r) => r.code).sort()).toEqual([0, 1, 1, 1])
  const after = JSON.parse((await run(['token', 'list', '--account', email, '--json'])).stdout)
  expect(after.filter((t: { revokedAt: string | null }) => t.revokedAt)).toHaveLength(1)
})

it('two password resets at once: one of the two passwords works, and no session survives', async () => {
  const email = `race-reset-${Date.now()}@example.com`
  await run(['account', 'create', '--email', email])
  const login = await checkLogin(server.db, email, 'correct horse battery')
  if (!login.ok) throw new Error('login failed')
  for (let i = 0; i < 3; i++) {
    await createSession(server.db, {
      userId: login.user.userId,
      tokenHash: `${email}-${i}`.padEnd(64, '0'),
    })
  }
  const resets = await together(2, (i) =>
    run(['account', 'reset-password', '--email', email], `new password ${i}`),
  )
  expect(resets.map((r) => r.code)).toEqual([0, 0])
  // The sessions were ended once, by whichever reset came first.
  const ended = resets.map((r) => Number(/; (\d+) session/.exec(r.stdout)![1])).sort()
  expect(ended).toEqual([0, 3])
  const works = await Promise.all(
    [0, 1].map(async (i) => (await checkLogin(server.db, email, `new password ${i}`)).ok),
  )
  expect(works.filter(Boolean)).toHaveLength(1)
  const sessions = await server.db
    .selectFrom('sessions')
    .select('id')
    .where('user_id', '=', login.user.userId)
    .execute()
  expect(sessions).toEqual([])
})
