// The people of an account (its users) and one-time invite links to add one. TinyCRM sends no
// email: the link is shown to copy and pass on. Whoever opens it picks their own email and
// password; the link then stops working. Every member sees and does the same (no roles yet).
import { sql, type Kysely } from 'kysely'
import type { Database } from '../db/schema.js'
import { runInTransaction } from '../db/transaction.js'
import { ApiError } from '../lib/errors.js'
import { hashKey, randomBase62 } from '../lib/keys.js'
import { hashPassword } from '../lib/password.js'
import { parseEmail } from '../lib/email.js'
import { checkPassword } from './store.js'

export const INVITE_PREFIX = 'tcrm_inv_'
const INVITE_SHAPE = /^tcrm_inv_[0-9A-Za-z]{32}$/
/** An unused invite link expires after a week. */
export const INVITE_DAYS = 7

export async function listMembers(db: Kysely<Database>, accountId: number) {
  return db
    .selectFrom('users')
    .select(['id', 'email', 'created_at'])
    .where('account_id', '=', accountId)
    .orderBy('id')
    .execute()
}

/** Invites not yet accepted nor expired, newest first. */
export async function listPendingInvites(db: Kysely<Database>, accountId: number) {
  return db
    .selectFrom('invites as i')
    .leftJoin('users as u', 'u.id', 'i.created_by')
    .select(['i.id', 'i.created_at', 'i.expires_at', 'u.email as created_by_email'])
    .where('i.account_id', '=', accountId)
    .where('i.accepted_at', 'is', null)
    .where('i.expires_at', '>', new Date())
    .orderBy('i.id', 'desc')
    .execute()
}

/** Why a token or an invite is refused to someone removed from the account meanwhile. */
export const NOT_A_MEMBER = 'You are no longer a member of this account'

/**
 * A new invite link's token, returned this once (only its hash is stored). The maker's user row is
 * read FOR KEY SHARE in the same statement: a removal of them (which locks that row first) either
 * waits for this invite and then withdraws it, or goes first and this one is refused.
 */
export async function createInvite(db: Kysely<Database>, accountId: number, createdBy: number) {
  const token = INVITE_PREFIX + randomBase62(32)
  const tokenHash = await hashKey(token)
  const expiresAt = new Date(Date.now() + INVITE_DAYS * 86_400_000)
  const row = await db
    .insertInto('invites')
    .columns(['account_id', 'token_hash', 'created_by', 'expires_at'])
    .expression(
      db
        .selectFrom('users')
        .select(({ val }) => [
          'account_id',
          val(tokenHash).as('token_hash'),
          'id',
          val(expiresAt).as('expires_at'),
        ])
        .where('id', '=', createdBy)
        .where('account_id', '=', accountId)
        .forKeyShare(),
    )
    .returning(['id', 'expires_at'])
    .executeTakeFirst()
  if (!row) throw new ApiError('forbidden', NOT_A_MEMBER)
  return { id: row.id, token, expiresAt: row.expires_at }
}

/** Withdraws a pending invite of the account; false when there is none by that id. */
export async function revokeInvite(db: Kysely<Database>, accountId: number, inviteId: number) {
  const row = await db
    .deleteFrom('invites')
    .where('account_id', '=', accountId)
    .where('id', '=', inviteId)
    .where('accepted_at', 'is', null)
    .returning('id')
    .executeTakeFirst()
  return row !== undefined
}

const INVALID_INVITE = 'This invite link is not valid: it was used, withdrawn or has expired'

/** The account an unused, unexpired invite leads to (for the page that accepts it). */
export async function findInvite(db: Kysely<Database>, token: string) {
  if (!INVITE_SHAPE.test(token)) return undefined
  return db
    .selectFrom('invites as i')
    .innerJoin('accounts as a', 'a.id', 'i.account_id')
    .select(['i.id', 'a.name as account_name'])
    .where('i.token_hash', '=', await hashKey(token))
    .where('i.accepted_at', 'is', null)
    .where('i.expires_at', '>', new Date())
    .executeTakeFirst()
}

/**
 * Turns an invite into a user of its account, in one statement: the invite row is locked, the
 * user inserted and the invite marked used together. Opened twice at once, the second waits for
 * the first and then finds the invite used. An email that already has a login is refused and
 * leaves the invite unused.
 */
export async function acceptInvite(
  db: Kysely<Database>,
  token: string,
  input: { email: string; password: string },
): Promise<{ userId: number; accountId: number }> {
  const email = parseEmail(input.email)
  checkPassword(input.password)
  if (!INVITE_SHAPE.test(token)) throw new ApiError('not_found', INVALID_INVITE)
  const passwordHash = await hashPassword(input.password)
  const { rows } = await sql<{ found: boolean; user_id: number | null; account_id: number | null }>`
    WITH invite AS (
      SELECT id, account_id FROM invites
      WHERE token_hash = ${await hashKey(token)} AND accepted_at IS NULL AND expires_at > now()
      FOR UPDATE
    ),
    new_user AS (
      INSERT INTO users (account_id, email, password_hash)
      SELECT account_id, ${email}, ${passwordHash} FROM invite
      ON CONFLICT (email) DO NOTHING
      RETURNING id, account_id
    ),
    used AS (
      UPDATE invites SET accepted_at = now(), accepted_by = new_user.id
      FROM new_user WHERE invites.id = (SELECT id FROM invite)
    )
    SELECT EXISTS (SELECT 1 FROM invite) AS found,
      (SELECT id FROM new_user) AS user_id, (SELECT account_id FROM new_user) AS account_id`.execute(
    db,
  )
  const row = rows[0]!
  if (!row.found) throw new ApiError('not_found', INVALID_INVITE)
  if (row.user_id === null) {
    throw new ApiError('validation_failed', `${email} already has a TinyCRM login`, [
      { path: 'email', message: 'already registered' },
    ])
  }
  return { userId: Number(row.user_id), accountId: Number(row.account_id) }
}

/**
 * Removes a member (their sessions end with them), revokes the account tokens they made (kept, so
 * the Tokens page shows them revoked and by whom) and withdraws their unused invite links, in one
 * transaction: all of it or nothing. Nobody removes themselves, and the account's last member
 * stays: two members removing each other at the same instant must not leave the account with
 * nobody. So the account row is locked first and the count read after the lock, in a later
 * statement of the same transaction. The member's row is locked next (FOR UPDATE): a token or an
 * invite they are making at that moment holds it FOR KEY SHARE (see createInvite), so it is
 * either committed before the statements below read (and they end it) or refused after.
 */
export async function removeMember(
  db: Kysely<Database>,
  input: { accountId: number; userId: number; actingUserId: number },
): Promise<{ tokensRevoked: number; invitesWithdrawn: number }> {
  const { accountId, userId, actingUserId } = input
  if (userId === actingUserId) {
    throw new ApiError('validation_failed', 'You cannot remove yourself from the account', [
      { path: 'userId', message: 'is you' },
    ])
  }
  // Each statement runs only if the removal does (both are members); the batch cannot branch.
  const bothMembers = sql`(SELECT count(*) FROM users
    WHERE id IN (${userId}, ${actingUserId}) AND account_id = ${accountId}) = 2`
  const [, , revoked, withdrawn, removed] = await runInTransaction(db, [
    // NO KEY UPDATE: removals queue here, while a token or an invite being made (whose foreign
    // key holds this row FOR KEY SHARE, after its maker's row) goes on; FOR UPDATE would deadlock.
    sql`SELECT id FROM accounts WHERE id = ${accountId} FOR NO KEY UPDATE`.compile(db),
    sql`SELECT id FROM users WHERE id = ${userId} AND account_id = ${accountId} FOR UPDATE`.compile(
      db,
    ),
    sql`
      UPDATE account_tokens SET revoked_at = now()
      WHERE account_id = ${accountId} AND created_by = ${userId} AND revoked_at IS NULL
        AND ${bothMembers}
      RETURNING id`.compile(db),
    sql`
      DELETE FROM invites
      WHERE account_id = ${accountId} AND created_by = ${userId} AND accepted_at IS NULL
        AND ${bothMembers}
      RETURNING id`.compile(db),
    sql`
      DELETE FROM users
      WHERE id = ${userId} AND account_id = ${accountId} AND ${bothMembers}
      RETURNING id`.compile(db),
  ])
  if (removed!.rows.length === 0) {
    throw new ApiError('not_found', 'No such member in your account')
  }
  return { tokensRevoked: revoked!.rows.length, invitesWithdrawn: withdrawn!.rows.length }
}
