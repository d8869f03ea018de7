// Account tokens for scripts: `tcrm_acct_` + 32 random base62 characters, read access to the whole
// account (and merge/delete). Only the SHA-256 is stored, as for project keys; the token is shown
// once, when it is created in the dashboard.
import { sql, type Kysely } from 'kysely'
import { NOT_A_MEMBER } from '../accounts/members.js'
import type { Database } from '../db/schema.js'
import { ApiError } from '../lib/errors.js'
import { storableText } from '../lib/text.js'
import { ACCOUNT_TOKEN_PREFIX, hashKey, randomBase62 } from '../lib/keys.js'

export { ACCOUNT_TOKEN_PREFIX }
const TOKEN_SHAPE = /^tcrm_acct_[0-9A-Za-z]{16,64}$/
/** Characters kept in clear to tell tokens apart in listings. */
const SHOWN = ACCOUNT_TOKEN_PREFIX.length + 6

export function looksLikeAccountToken(token: string): boolean {
  return TOKEN_SHAPE.test(token)
}

/**
 * A new token, returned this once. `createdBy` is the member making it in the dashboard (the CLI
 * passes none). Their user row is read FOR KEY SHARE in the same statement, so a removal of them
 * (src/accounts/members.ts locks that row first) either waits for this token, then revokes it, or
 * goes first and this one is refused: a removed member never keeps a live token.
 */
export async function createAccountToken(
  db: Kysely<Database>,
  accountId: number,
  name: string,
  createdBy: number | null = null,
) {
  const label = name.trim()
  if (!label || label.length > 80) {
    throw new ApiError('validation_failed', 'name must be 1 to 80 characters', [
      { path: 'name', message: '1 to 80 characters' },
    ])
  }
  storableText('name', label)
  const token = ACCOUNT_TOKEN_PREFIX + randomBase62(32)
  const prefix = token.slice(0, SHOWN)
  const tokenHash = await hashKey(token)
  const insert =
    createdBy === null
      ? db
          .insertInto('account_tokens')
          .values({ account_id: accountId, name: label, prefix, token_hash: tokenHash })
      : db
          .insertInto('account_tokens')
          .columns(['account_id', 'name', 'prefix', 'token_hash', 'created_by', 'created_by_email'])
          .expression(
            db
              .selectFrom('users')
              .select(({ val }) => [
                'account_id',
                val(label).as('name'),
                val(prefix).as('prefix'),
                val(tokenHash).as('token_hash'),
                'id',
                'email',
              ])
              .where('id', '=', createdBy)
              .where('account_id', '=', accountId)
              .forKeyShare(),
          )
  const row = await insert.returning(['id', 'name', 'prefix', 'created_at']).executeTakeFirst()
  if (!row) throw new ApiError('forbidden', NOT_A_MEMBER)
  return { ...row, token }
}

export async function listAccountTokens(db: Kysely<Database>, accountId: number) {
  return db
    .selectFrom('account_tokens')
    .select([
      'id',
      'name',
      'prefix',
      'created_at',
      'last_used_at',
      'revoked_at',
      'created_by_email',
    ])
    .where('account_id', '=', accountId)
    .orderBy('created_at', 'desc')
    .orderBy('id', 'desc')
    .execute()
}

/** Revokes one of the account's tokens; false when it is not the account's (or already revoked). */
export async function revokeAccountToken(db: Kysely<Database>, accountId: number, tokenId: number) {
  const row = await db
    .updateTable('account_tokens')
    .set({ revoked_at: new Date() })
    .where('account_id', '=', accountId)
    .where('id', '=', tokenId)
    .where('revoked_at', 'is', null)
    .returning('id')
    .executeTakeFirst()
  return row !== undefined
}

/** The account a token opens, or undefined / 'revoked'. One statement, which also notes its use
 *  (at most once a minute, so a busy script does not write on every request). */
export async function authenticateAccountToken(db: Kysely<Database>, token: string) {
  const tokenHash = await hashKey(token)
  const { rows } = await sql<{ id: number; account_id: number; revoked: boolean }>`
WITH t AS (SELECT id, account_id, revoked_at FROM account_tokens WHERE token_hash = ${tokenHash}),
used AS (
  UPDATE account_tokens a SET last_used_at = now() FROM t
  WHERE a.id = t.id AND t.revoked_at IS NULL
    AND (a.last_used_at IS NULL OR a.last_used_at < now() - interval '1 minute')
  RETURNING a.id
)
SELECT t.id, t.account_id, t.revoked_at IS NOT NULL AS revoked FROM t`.execute(db)
  const row = rows[0]
  if (!row) return undefined
  if (row.revoked) return 'revoked' as const
  return { tokenId: row.id, accountId: row.account_id }
}
