// After a merge the absorbed email is an alias (its row stays as a tombstone that no list shows):
// identify and ping with it reach the survivor and recreate nobody, alone or in a batch beside the
// survivor's own email.
import { beforeEach, expect, it } from 'vitest'
import { mergeCustomers } from '../merges/store.js'
import { useTestApp } from '../../test/support/db.js'
import { postJson, seedAccount } from '../../test/support/fixtures.js'

const t = useTestApp()
let key: string
let accountId: number
let survivor: number

beforeEach(async () => {
  const seeded = await seedAccount(t.db, ['App A'])
  key = seeded.projects[0]!.key
  accountId = seeded.accountId
  const work = await postJson(t.app, '/v1/identify', key, {
    email: 'ann@work.example',
    params: { a: 1 },
  })
  const home = await postJson(t.app, '/v1/identify', key, {
    email: 'ann@home.example',
    params: { b: 2 },
  })
  survivor = work.body.customerId
  await mergeCustomers(t.db, {
    accountId,
    survivorId: survivor,
    absorbedId: home.body.customerId,
    actor: 'test',
  })
})

const emails = () =>
  t.db
    .selectFrom('customers')
    .select('email')
    .where('account_id', '=', accountId)
    .where('merged_into', 'is', null)
    .execute()

it('routes identify with an absorbed email to the survivor', async () => {
  const res = await postJson(t.app, '/v1/identify', key, {
    email: 'Ann@Home.example',
    status: 'paid',
    params: { c: 3 },
  })
  expect(res.body).toMatchObject({ ok: true, customerId: survivor, created: false })
  expect(await emails()).toEqual([{ email: 'ann@work.example' }])
  const rel = await t.db
    .selectFrom('customer_projects')
    .select(['status', 'params'])
    .where('customer_id', '=', survivor)
    .executeTakeFirstOrThrow()
  expect(rel).toEqual({ status: 'paid', params: { a: 1, b: 2, c: 3 } })
})

it('routes ping with an absorbed email to the survivor', async () => {
  const res = await postJson(t.app, '/v1/ping', key, { email: 'ann@home.example' })
  expect(res.body).toMatchObject({ found: true, customerId: survivor })
})

it('applies a batch naming both emails of one customer, in order', async () => {
  const res = await postJson(t.app, '/v1/batch', key, {
    batch: [
      { type: 'identify', email: 'ann@work.example', params: { d: 4 } },
      { type: 'identify', email: 'ann@home.example', status: 'churned', params: { d: 5 } },
      { type: 'identify', email: 'new@example.com' },
      { type: 'ping', email: 'ann@home.example' },
    ],
  })
  expect(res.body).toMatchObject({ succeeded: 4, failed: 0 })
  expect(res.body.results.map((r: any) => r.customerId)).toEqual([
    survivor,
    survivor,
    expect.any(Number),
    survivor,
  ])
  expect((await emails()).map((e) => e.email).sort()).toEqual([
    'ann@work.example',
    'new@example.com',
  ])
  const rel = await t.db
    .selectFrom('customer_projects')
    .select(['status', 'params'])
    .where('customer_id', '=', survivor)
    .executeTakeFirstOrThrow()
  expect(rel).toEqual({ status: 'churned', params: { a: 1, b: 2, d: 5 } })
})
