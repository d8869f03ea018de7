// The account-token middleware over a real database: which tokens open which account.
import { Hono } from 'hono/tiny'
import { beforeAll, expect, it } from 'vitest'
import { createAccountToken, revokeAccountToken } from '../../account-api/tokens.js'
import { useTestDb } from '../../../test/support/db.js'
import { seedAccount } from '../../../test/support/fixtures.js'
import { onError } from '../on-error/index.js'
import { PROJECT_KEY_REFUSED, accountToken, type AccountTokenEnv } from './index.js'

const t = useTestDb()
let app: Hono<AccountTokenEnv>

beforeAll(async () => {
  app = new Hono<AccountTokenEnv>()
  app.onError(onError())
  app.use(async (c, next) => {
    c.set('db', t.db)
    await next()
  })
  app.use(accountToken())
  app.get('/', (c) => c.json({ accountId: c.var.accountId, actor: c.var.actor }))
})

const get = (token?: string) =>
  app.request('/', { headers: token ? { Authorization: `Bearer ${token}` } : {} })

it('opens the token’s account and names the token as the actor', async () => {
  const { accountId } = await seedAccount(t.db, [])
  const { id, token } = await createAccountToken(t.db, accountId, 'script')
  const res = await get(token)
  expect(res.status).toBe(200)
  expect(await res.json()).toEqual({ accountId, actor: `token:${id}` })
})

it('401 for no token or an unknown one, 403 for a project key or a revoked token', async () => {
  const { accountId, projects } = await seedAccount(t.db, ['App'])
  const { id, token } = await createAccountToken(t.db, accountId, 'old')
  await revokeAccountToken(t.db, accountId, id)
  expect((await get()).status).toBe(401)
  expect((await get('tcrm_acct_' + 'x'.repeat(32))).status).toBe(401)
  expect((await get('not-a-token')).status).toBe(401)
  // A token cut short when copied is told apart from one that is no account token at all.
  for (const wrong of ['tcrm_acct_abc', 'not-a-token']) {
    const res = await get(wrong)
    expect(res.status).toBe(401)
    expect(await res.json()).toMatchObject({
      error: { message: 'Unknown account token: tcrm_acct_ and 32 letters or digits' },
    })
  }
  const project = await get(projects[0]!.key)
  expect(project.status).toBe(403)
  expect(await project.json()).toMatchObject({ error: { message: PROJECT_KEY_REFUSED } })
  expect((await get(token)).status).toBe(403)
})
