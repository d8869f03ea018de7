// Removing a member ends what they made (over PGlite): the account tokens they created are
// revoked (kept, so the list shows them revoked and by whom) and their unused invite links are
// withdrawn, with the user's deletion, all or nothing. src/accounts/routes.test.ts walks the same
// through the dashboard; members.pg.test.ts races it on a real PostgreSQL.
import { sql } from 'kysely'
import { expect, it } from 'vitest'
import { useTestDb } from '../../test/support/db.js'
import { seedAccount } from '../../test/support/fixtures.js'
import {
  authenticateAccountToken,
  createAccountToken,
  listAccountTokens,
} from '../account-api/tokens.js'
import { acceptInvite, createInvite, findInvite, listMembers, removeMember } from './members.js'

const t = useTestDb()
let n = 0
const email = () => `member${++n}-${Date.now()}@example.com`

/** Alice's account with Carol in it; Carol made a token and an invite, Alice one of each. */
async function aliceAndCarol() {
  const alice = await seedAccount(t.db, [])
  const carolEmail = email()
  const joined = await acceptInvite(
    t.db,
    (await createInvite(t.db, alice.accountId, alice.userId)).token,
    { email: carolEmail, password: 'teammate pw 1' },
  )
  const carol = { userId: joined.userId, email: carolEmail }
  return {
    alice,
    carol,
    carolsToken: await createAccountToken(t.db, alice.accountId, 'carol script', carol.userId),
    carolsInvite: await createInvite(t.db, alice.accountId, carol.userId),
    alicesToken: await createAccountToken(t.db, alice.accountId, 'alice script', alice.userId),
    alicesInvite: await createInvite(t.db, alice.accountId, alice.userId),
    cliToken: await createAccountToken(t.db, alice.accountId, 'from the CLI'),
  }
}

const remove = (accountId: number, userId: number, actingUserId: number) =>
  removeMember(t.db, { accountId, userId, actingUserId })

it('records who made a token; one made outside the dashboard has nobody', async () => {
  const { alice, carol } = await aliceAndCarol()
  const byName = Object.fromEntries(
    (await listAccountTokens(t.db, alice.accountId)).map((r) => [r.name, r.created_by_email]),
  )
  expect(byName).toEqual({
    'carol script': carol.email,
    'alice script': alice.email,
    'from the CLI': null,
  })
})

it('revokes the removed member’s tokens and withdraws their unused invites, nobody else’s', async () => {
  const made = await aliceAndCarol()
  const { alice, carol } = made
  expect(await remove(alice.accountId, carol.userId, alice.userId)).toEqual({
    tokensRevoked: 1,
    invitesWithdrawn: 1,
  })
  expect(await authenticateAccountToken(t.db, made.carolsToken.token)).toBe('revoked')
  expect(await findInvite(t.db, made.carolsInvite.token)).toBeUndefined()
  expect(await authenticateAccountToken(t.db, made.alicesToken.token)).toMatchObject({
    accountId: alice.accountId,
  })
  expect(await authenticateAccountToken(t.db, made.cliToken.token)).toMatchObject({
    accountId: alice.accountId,
  })
  expect(await findInvite(t.db, made.alicesInvite.token)).toBeDefined()
  // Carol's token stays in the list, revoked, with her email.
  const carols = (await listAccountTokens(t.db, alice.accountId)).find(
    (r) => r.name === 'carol script',
  )!
  expect(carols.revoked_at).not.toBeNull()
  expect(carols.created_by_email).toBe(carol.email)
  // The invite Alice made and Carol used stays, as a used one.
  const used = await t.db
    .selectFrom('invites')
    .select('id')
    .where('account_id', '=', alice.accountId)
    .where('accepted_at', 'is not', null)
    .execute()
  expect(used).toHaveLength(1)
})

it('refuses a token or an invite by someone no longer in the account', async () => {
  const { alice, carol } = await aliceAndCarol()
  await remove(alice.accountId, carol.userId, alice.userId)
  await expect(
    createAccountToken(t.db, alice.accountId, 'too late', carol.userId),
  ).rejects.toMatchObject({ code: 'forbidden' })
  await expect(createInvite(t.db, alice.accountId, carol.userId)).rejects.toMatchObject({
    code: 'forbidden',
  })
  const other = await seedAccount(t.db, [])
  await expect(
    createAccountToken(t.db, alice.accountId, 'wrong account', other.userId),
  ).rejects.toMatchObject({ code: 'forbidden' })
})

it('a failure mid-way leaves the member, their tokens and their invites as they were', async () => {
  const made = await aliceAndCarol()
  const { alice, carol } = made
  // The user's deletion, the last step, fails: what came before it must not stay.
  await sql`CREATE FUNCTION refuse_delete() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN RAISE EXCEPTION 'refused for the test'; END $$`.execute(t.db)
  await sql`CREATE TRIGGER refuse_delete BEFORE DELETE ON users
    FOR EACH ROW EXECUTE FUNCTION refuse_delete()`.execute(t.db)
  try {
    await expect(remove(alice.accountId, carol.userId, alice.userId)).rejects.toThrow(
      'refused for the test',
    )
  } finally {
    await sql`DROP TRIGGER refuse_delete ON users`.execute(t.db)
    await sql`DROP FUNCTION refuse_delete()`.execute(t.db)
  }
  expect(await listMembers(t.db, alice.accountId)).toHaveLength(2)
  expect(await authenticateAccountToken(t.db, made.carolsToken.token)).toMatchObject({
    accountId: alice.accountId,
  })
  expect(await findInvite(t.db, made.carolsInvite.token)).toBeDefined()
})

it('removes nothing when the member is not in the acting user’s account', async () => {
  const made = await aliceAndCarol()
  const stranger = await seedAccount(t.db, [])
  await expect(
    removeMember(t.db, {
      accountId: stranger.accountId,
      userId: made.carol.userId,
      actingUserId: stranger.userId,
    }),
  ).rejects.toMatchObject({ code: 'not_found' })
  expect(await authenticateAccountToken(t.db, made.carolsToken.token)).toMatchObject({
    accountId: made.alice.accountId,
  })
  expect(await findInvite(t.db, made.carolsInvite.token)).toBeDefined()
})
