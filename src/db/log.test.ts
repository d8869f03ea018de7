// What the server logs when the database fails, read as the operator's terminal shows it
// (console output formatted as Node prints it): the request id, the error's code and the
// statement's name, never what the request sent (a password's hash, an API key's hash, the
// payload); and an outage as one line, not one per request. The failures are real PGlite errors,
// raised by a trigger inside the app's own statements.
import { createHash } from 'node:crypto'
import { format } from 'node:util'
import { sql } from 'kysely'
import { beforeAll, expect, it, vi } from 'vitest'
import { useTestApp } from '../../test/support/db.js'
import { postJson, seedAccount } from '../../test/support/fixtures.js'
import { TestBrowser } from '../../test/support/test-browser.js'
import { statementName } from './log.js'

const t = useTestApp()

beforeAll(async () => {
  await sql`CREATE FUNCTION fail_with() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN RAISE EXCEPTION 'refused by the test' USING ERRCODE = TG_ARGV[0]; END $$`.execute(t.db)
})

/** Everything written to the console while `fn` runs, as Node would print it. */
async function consoleDuring(fn: () => Promise<void>): Promise<string[]> {
  const lines: string[] = []
  const spies = (['log', 'info', 'warn', 'error', 'debug'] as const).map((m) =>
    vi.spyOn(console, m).mockImplementation((...args) => void lines.push(format(...args))),
  )
  try {
    await fn()
  } finally {
    for (const s of spies) s.mockRestore()
  }
  return lines
}

async function failing(table: string, sqlstate: string) {
  await sql`CREATE TRIGGER fail BEFORE INSERT OR UPDATE ON ${sql.table(table)}
    FOR EACH ROW EXECUTE FUNCTION fail_with(${sql.lit(sqlstate)})`.execute(t.db)
}
async function healed(table: string) {
  await sql`DROP TRIGGER fail ON ${sql.table(table)}`.execute(t.db)
}

it('names a statement by its verb and first table', () => {
  expect(statementName('with "account" as (insert into "accounts" ("name") select $1)')).toBe(
    'insert into accounts',
  )
  expect(statementName('update "sessions" set x = $1')).toBe('update sessions')
  expect(statementName('select "id" from "users" where "email" = $1')).toBe('select users')
  expect(
    statementName(
      'SELECT f.id FROM billing_connections k JOIN customers f ON true FOR NO KEY UPDATE OF f',
    ),
  ).toBe('select billing_connections')
  expect(statementName('select 1 from customers for update of customers')).toBe('select customers')
  expect(statementName('BEGIN')).toBe('begin')
})

it('a sign-up failing in the database logs its code, statement and request id, not the password’s hash', async () => {
  const address = `hashed-${Date.now()}@example.com`
  const password = 'a password to keep out of logs'
  const b = new TestBrowser(t.app)
  await b.get('/signup')
  await failing('users', 'XX000')
  let res!: Awaited<ReturnType<TestBrowser['post']>>
  const lines = await consoleDuring(async () => {
    res = await b.post('/signup', { email: address, password })
  })
  await healed('users')
  expect(res.status).toBe(500)
  const requestId = res.headers.get('X-Request-Id')!
  const log = lines.join('\n')
  for (const secret of [address, password, 'pbkdf2', 'refused by the test']) {
    expect(log).not.toContain(secret)
  }
  expect(lines).toEqual([
    `[${requestId}] POST /signup: 500 database error XX000 in "insert into accounts"`,
  ])
})

it('an ingest call failing in the database logs neither the key’s hash nor the payload', async () => {
  const { projects } = await seedAccount(t.db, ['Logged'])
  const key = projects[0]!.key
  const keyHash = createHash('sha256').update(key).digest('hex')
  await failing('customer_projects', 'XX000')
  let res!: Awaited<ReturnType<typeof postJson>>
  const lines = await consoleDuring(async () => {
    res = await postJson(t.app, '/v1/identify', key, {
      email: 'payload@example.com',
      name: 'Payload Person',
      params: { plan: 'secret-plan' },
    })
  })
  await healed('customer_projects')
  expect(res.status).toBe(500)
  for (const secret of [key, keyHash, 'payload@example.com', 'Payload Person', 'secret-plan']) {
    expect(lines.join('\n')).not.toContain(secret)
  }
  expect(lines).toHaveLength(1)
  expect(lines[0]).toMatch(
    new RegExp(
      `^\\[${res.body.error.requestId}\\] POST /v1/identify: 500 database error XX000 in "`,
    ),
  )
})

it('logs an outage once per episode, not once per request', async () => {
  const { projects } = await seedAccount(t.db, ['Outage'])
  const key = projects[0]!.key
  const identify = () => postJson(t.app, '/v1/identify', key, { email: 'down@example.com' })
  const lines = await consoleDuring(async () => {
    for (const episode of [1, 2]) {
      // 57P03 (cannot_connect_now), as a server that is starting or shutting down answers.
      await failing('customers', '57P03')
      for (let i = 0; i < 20; i++) {
        const res = await identify()
        expect(res.status).toBe(503)
        expect(res.headers.get('Retry-After')).toBe('2')
      }
      await healed('customers')
      expect((await identify()).status, `after episode ${episode}`).toBe(200)
    }
  })
  expect(lines).toHaveLength(2)
  for (const line of lines) {
    expect(line).toMatch(/^database unavailable \(code 57P03; first noticed by \[[^\]]+\] POST/)
    expect(line).not.toContain('down@example.com')
  }
})
