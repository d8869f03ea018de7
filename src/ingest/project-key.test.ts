// The ingest API's project key: the header's shape, and the hash the ingest statement looks up.
import { Hono } from 'hono/tiny'
import { expect, it } from 'vitest'
import { generateProjectKey, hashKey } from '../lib/keys.js'
import { onError } from '../middleware/on-error/index.js'
import { projectKeyHash } from './project-key.js'

const app = new Hono()
app.onError(onError())
app.get('/', async (c) => c.text(await projectKeyHash(c)))

const get = (authorization?: string) =>
  app.request('/', { headers: authorization ? { Authorization: authorization } : {} })

it('sets the SHA-256 of a well-formed key (any case of "Bearer")', async () => {
  const key = generateProjectKey()
  const res = await get(`bearer  ${key} `)
  expect(res.status).toBe(200)
  expect(await res.text()).toBe(await hashKey(key))
})

it('answers 401 naming what is wrong: no key, or not a project key', async () => {
  const missing = await get()
  expect(missing.status).toBe(401)
  expect(await missing.json()).toMatchObject({ error: { message: /Missing API key/ } })
  for (const header of ['Basic abc', 'Bearer tcrm_acct_0123456789abcdef0123', 'Bearer x y']) {
    expect((await get(header)).status, header).toBe(401)
  }
})

it('tells an account token from a malformed project key', async () => {
  const token = await get('Bearer tcrm_acct_0123456789abcdef0123')
  expect(await token.json()).toMatchObject({
    error: { message: /This is an account token .* take a project key \(tcrm_proj_…\)/ },
  })
  const cut = await get('Bearer tcrm_proj_nope')
  expect(await cut.json()).toMatchObject({
    error: {
      message:
        'Unknown API key: not shaped like a project key (tcrm_proj_ then letters and digits)',
    },
  })
})
