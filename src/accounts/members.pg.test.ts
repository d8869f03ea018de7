// Teammates' writes racing on a real PostgreSQL: one invite accepted twice at the same instant
// makes one user; two members removing each other at once leave one of them; invites made at once
// are all distinct and work; a member removed while making tokens and invites keeps none live.
import { afterAll, beforeAll, expect, it } from 'vitest'
import { seedAccount } from '../../test/support/fixtures.js'
import type { NodeDb } from '../db/node.js'
import { openTestDb } from '../../test/support/pg-harness.js'
import { ApiError } from '../lib/errors.js'
import { authenticateAccountToken, createAccountToken } from '../account-api/tokens.js'
import {
  acceptInvite,
  createInvite,
  findInvite,
  listMembers,
  listPendingInvites,
  removeMember,
} from './members.js'

let node: NodeDb
beforeAll(async () => {
  node = await openTestDb({ poolSize: 12 })
})
afterAll(() => node.close())

const settle = <T>(ps: Promise<T>[]) => Promise.allSettled(ps)
let n = 0
const email = () => `race-member-${process.pid}-${++n}-${Date.now()}@example.com`

it('one invite accepted 8 times at once (different emails) makes exactly one user', async () => {
  for (let trial = 0; trial < 5; trial++) {
    const owner = await seedAccount(node.db, [])
    const { token } = await createInvite(node.db, owner.accountId, owner.userId)
    const results = await settle(
      Array.from({ length: 8 }, () =>
        acceptInvite(node.db, token, { email: email(), password: 'teammate password' }),
      ),
    )
    const ok = results.filter((r) => r.status === 'fulfilled')
    expect(ok).toHaveLength(1)
    for (const r of results) {
      if (r.status === 'rejected') {
        expect(r.reason).toBeInstanceOf(ApiError)
        expect((r.reason as ApiError).code).toBe('not_found')
      }
    }
    expect(await listMembers(node.db, owner.accountId)).toHaveLength(2)
    const invite = await node.db
      .selectFrom('invites')
      .selectAll()
      .where('account_id', '=', owner.accountId)
      .executeTakeFirstOrThrow()
    expect(invite.accepted_by).toBe(
      (ok[0] as PromiseFulfilledResult<{ userId: number }>).value.userId,
    )
  }
})

it('one invite accepted twice at once with the same email: one user, the invite used once', async () => {
  const owner = await seedAccount(node.db, [])
  const { token } = await createInvite(node.db, owner.accountId, owner.userId)
  const address = email()
  const results = await settle(
    [0, 1].map(() => acceptInvite(node.db, token, { email: address, password: 'same password' })),
  )
  expect(results.map((r) => r.status).sort()).toEqual(['fulfilled', 'rejected'])
  const users = await node.db
    .selectFrom('users')
    .select('id')
    .where('email', '=', address)
    .execute()
  expect(users).toHaveLength(1)
})

it('two invites accepted at once with one email: one login; the other invite stays usable', async () => {
  const owner = await seedAccount(node.db, [])
  const a = await createInvite(node.db, owner.accountId, owner.userId)
  const b = await createInvite(node.db, owner.accountId, owner.userId)
  const address = email()
  const results = await settle(
    [a, b].map((i) =>
      acceptInvite(node.db, i.token, { email: address, password: 'same password' }),
    ),
  )
  const refused = results.filter((r) => r.status === 'rejected')
  // The second waits on the first's new login, then finds the email taken: its invite stays.
  expect(refused).toHaveLength(1)
  expect(((refused[0] as PromiseRejectedResult).reason as Error).message).toBe(
    `${address} already has a TinyCRM login`,
  )
  const pending = await node.db
    .selectFrom('invites')
    .select('id')
    .where('account_id', '=', owner.accountId)
    .where('accepted_at', 'is', null)
    .execute()
  expect(pending).toHaveLength(1)
})

it('two members removing each other at the same instant: one of them stays', async () => {
  for (let trial = 0; trial < 10; trial++) {
    const owner = await seedAccount(node.db, [])
    const { token } = await createInvite(node.db, owner.accountId, owner.userId)
    const mate = await acceptInvite(node.db, token, { email: email(), password: 'teammate pw' })
    const results = await settle([
      removeMember(node.db, {
        accountId: owner.accountId,
        userId: mate.userId,
        actingUserId: owner.userId,
      }),
      removeMember(node.db, {
        accountId: owner.accountId,
        userId: owner.userId,
        actingUserId: mate.userId,
      }),
    ])
    expect(results.map((r) => r.status).sort()).toEqual(['fulfilled', 'rejected'])
    expect(await listMembers(node.db, owner.accountId)).toHaveLength(1)
  }
})

it('invites made at once are all distinct and each works once', async () => {
  const owner = await seedAccount(node.db, [])
  const made = await Promise.all(
    Array.from({ length: 6 }, () => createInvite(node.db, owner.accountId, owner.userId)),
  )
  expect(new Set(made.map((m) => m.token)).size).toBe(6)
  await Promise.all(
    made.map((m) => acceptInvite(node.db, m.token, { email: email(), password: 'teammate pw' })),
  )
  expect(await listMembers(node.db, owner.accountId)).toHaveLength(7)
})

it('a member removed while making tokens and invites keeps no live token and no usable link', async () => {
  for (let trial = 0; trial < 20; trial++) {
    const alice = await seedAccount(node.db, [])
    const { token } = await createInvite(node.db, alice.accountId, alice.userId)
    const carol = await acceptInvite(node.db, token, { email: email(), password: 'teammate pw' })
    // Carol's requests, past their session check, now write; Alice removes her meanwhile (in
    // odd trials her removal is sent first).
    const remove = () =>
      removeMember(node.db, {
        accountId: alice.accountId,
        userId: carol.userId,
        actingUserId: alice.userId,
      })
    const first = trial % 2 ? remove() : undefined
    const tokens = Array.from({ length: 3 }, (_, i) =>
      createAccountToken(node.db, alice.accountId, `carol ${i}`, carol.userId),
    )
    const invites = Array.from({ length: 3 }, () =>
      createInvite(node.db, alice.accountId, carol.userId),
    )
    const removal = first ?? remove()
    const [removed, ...made] = await settle<unknown>([removal, ...tokens, ...invites])
    expect(removed!.status).toBe('fulfilled')
    for (const r of made) {
      if (r.status === 'rejected') expect((r.reason as ApiError).code).toBe('forbidden')
    }
    for (const r of await settle(tokens)) {
      if (r.status === 'fulfilled') {
        expect(await authenticateAccountToken(node.db, r.value.token)).toBe('revoked')
      }
    }
    for (const r of await settle(invites)) {
      if (r.status === 'fulfilled') expect(await findInvite(node.db, r.value.token)).toBeUndefined()
    }
    const live = await node.db
      .selectFrom('account_tokens')
      .select('id')
      .where('account_id', '=', alice.accountId)
      .where('revoked_at', 'is', null)
      .execute()
    expect(live).toEqual([])
    expect(await listPendingInvites(node.db, alice.accountId)).toEqual([])
  }
})
