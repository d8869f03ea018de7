// `account reset-password` racing logins with the old password, on a real PostgreSQL (PGlite runs
// one statement at a time and hides it). A login reads the password hash, spends tens of
// milliseconds in PBKDF2, then stores its session: a reset landing in between must still leave
// no session of the old password behind, and a login that starts after the reset returned never
// gets in with the old password. Each trial fires logins, then the reset (the function the CLI
// calls) a little later, at a different moment each time, and a second wave once it returned.
import { afterAll, beforeAll, expect, inject, it } from 'vitest'
import { createApp } from '../app.js'
import { createAccount, resetPassword } from '../accounts/store.js'
import { openNodeDb, type NodeDb } from '../db/node.js'
import { TestBrowser } from '../../test/support/test-browser.js'

const TRIALS = 40
const RACING_LOGINS = 3
const LATER_LOGINS = 2
const EMAIL = 'reset-race@example.com'
const OLD = 'the old password here'
const NEW = 'a brand new password'

let node: NodeDb
let userId: number

beforeAll(async () => {
  node = await openNodeDb({ databaseUrl: inject('postgresUrl'), poolSize: 8 })
  ;({ userId } = await createAccount(node.db, { email: EMAIL, password: OLD }))
})
afterAll(() => node?.close())

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

async function sessionsOfUser() {
  const row = await node.db
    .selectFrom('sessions')
    .select((eb) => eb.fn.countAll<string>().as('n'))
    .where('user_id', '=', userId)
    .executeTakeFirstOrThrow()
  return Number(row.n)
}

it(`leaves no session of the old password, and lets no later login in with it (${TRIALS} trials)`, async () => {
  const app = createApp({ db: node.db })
  let raced = 0
  for (let trial = 0; trial < TRIALS; trial++) {
    await resetPassword(node.db, EMAIL, OLD)
    const racing = Array.from({ length: RACING_LOGINS }, () => new TestBrowser(app))
    const later = Array.from({ length: LATER_LOGINS }, () => new TestBrowser(app))
    for (const b of [...racing, ...later]) await b.get('/login')

    const logins = racing.map((b) => b.post('/login', { email: EMAIL, password: OLD }))
    // The reset hashes the new password first (as long as a login's check), so from 0 to 40 ms
    // later its update lands before, inside or after the logins' PBKDF2.
    await sleep(trial % 5) // a different interleaving on each trial
    await sleep((trial * 7) % 40)
    await resetPassword(node.db, EMAIL, NEW)
    const after = await Promise.all(
      later.map((b) => b.post('/login', { email: EMAIL, password: OLD })),
    )
    const results = await Promise.all(logins)
    raced += results.filter((r) => r.status === 303).length

    for (const r of after) expect(r.status, `trial ${trial}: a login after the reset`).not.toBe(303)
    expect(await sessionsOfUser(), `trial ${trial}: sessions left after the reset`).toBe(0)
    for (const b of racing) {
      const page = await b.get('/projects')
      expect(page.status, `trial ${trial}: a racing login's cookie`).not.toBe(200)
    }
  }
  // Some racing logins won before the reset (and the reset ended their sessions): the race ran.
  expect(raced).toBeGreaterThan(0)
}, 300_000) // ~280 PBKDF2 runs: a minute on a busy machine
