// One database round trip per request: identify, ping and batch each send exactly ONE SQL statement,
// the API-key check included. Counted on the statements the app hands to the database.
import { beforeAll, beforeEach, expect, it } from 'vitest'
import { useTestApp } from '../../test/support/db.js'
import { postJson, seedAccount } from '../../test/support/fixtures.js'

const t = useTestApp()
let key: string

beforeAll(async () => {
  key = (await seedAccount(t.db, ['App A'])).projects[0]!.key
})
beforeEach(() => {
  t.statements.length = 0
})

it.each([
  [
    'identify (new customer)',
    '/v1/identify',
    { email: 'new@example.com', status: 'trial', params: { a: 1 } },
  ],
  ['identify (known customer)', '/v1/identify', { email: 'new@example.com', params: { b: 2 } }],
  ['ping (known)', '/v1/ping', { email: 'new@example.com' }],
  ['ping (unknown)', '/v1/ping', { email: 'ghost@example.com' }],
  [
    'batch of 500 mixed items',
    '/v1/batch',
    {
      batch: Array.from({ length: 500 }, (_, i) =>
        i % 5 === 0
          ? { type: 'ping', email: `u${i - 5}@example.com` }
          : { type: 'identify', email: `u${i}@example.com`, params: { i } },
      ),
    },
  ],
])('%s sends one statement', async (_, path, body) => {
  const res = await postJson(t.app, path, key, body)
  expect(res.status).toBe(200)
  expect(t.statements).toHaveLength(1)
})

it('an unknown key costs one statement too, and a rejected body none', async () => {
  await postJson(t.app, '/v1/identify', `tcrm_proj_${'0'.repeat(32)}`, { email: 'a@example.com' })
  expect(t.statements).toHaveLength(1)
  t.statements.length = 0
  await postJson(t.app, '/v1/identify', key, { email: 'bad' })
  expect(t.statements).toHaveLength(0)
})
