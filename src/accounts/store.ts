// Accounts and their users (the dashboard login): plain functions over the db, shared by the CLI
// and the dashboard. Projects and their keys are src/projects/.
import { sql, type Kysely } from 'kysely'
import type { Database } from '../db/schema.js'
import { ApiError } from '../lib/errors.js'
import { parseEmail } from '../lib/email.js'
import { hashPassword } from '../lib/password.js'
import { runInTransaction } from '../db/transaction.js'

export const MIN_PASSWORD_LENGTH = 8

export function normaliseEmail(email: string): string {
  return email.trim().toLowerCase()
}

/** What `createAccount({ onlyIfFirst: true })` throws when an account exists already. */
export const SIGNUP_CLOSED = 'Sign-up is closed: this server already has its account'

/** The one password rule: at least MIN_PASSWORD_LENGTH characters. */
export function checkPassword(password: string, field = 'password'): void {
  if (password.length < MIN_PASSWORD_LENGTH) {
    throw new ApiError(
      'validation_failed',
      `${field} must be at least ${MIN_PASSWORD_LENGTH} characters`,
      [{ path: field, message: `at least ${MIN_PASSWORD_LENGTH} characters` }],
    )
  }
}

export async function createAccount(
  db: Kysely<Database>,
  input: {
    email: string
    password: string
    name?: string
    /** TINYCRM_SIGNUP=closed: create it only if it is the very first account (else 403). */
    onlyIfFirst?: boolean
  },
): Promise<{ accountId: number; userId: number }> {
  const email = parseEmail(input.email)
  checkPassword(input.password)
  const passwordHash = await hashPassword(input.password)
  // One statement: the account and its first user exist together or not at all. A data-modifying
  // CTE runs even when the outer insert conflicts, hence the guard against an orphan account.
  // Only the first: no account in this statement's snapshot, and (for the sign-ups of one instant,
  // which all see an empty table) first_signup's unique constraint admits one of them.
  const row = await db
    .with('account', (q) =>
      q
        .insertInto('accounts')
        .columns(['name', 'first_signup'])
        .expression(
          q
            .selectNoFrom((eb) => [
              eb.val(input.name ?? email).as('name'),
              eb.val(input.onlyIfFirst ? true : null).as('first_signup'),
            ])
            .where((eb) =>
              eb.and([
                eb.not(eb.exists(q.selectFrom('users').select('id').where('email', '=', email))),
                ...(input.onlyIfFirst
                  ? [eb.not(eb.exists(q.selectFrom('accounts').select('id')))]
                  : []),
              ]),
            ),
        )
        .onConflict((oc) => oc.column('first_signup').doNothing())
        .returning('id'),
    )
    .insertInto('users')
    .columns(['account_id', 'email', 'password_hash'])
    .expression((eb) =>
      eb
        .selectFrom('account')
        .select([
          'account.id',
          eb.val(email).as('email'),
          eb.val(passwordHash).as('password_hash'),
        ]),
    )
    .onConflict((oc) => oc.column('email').doNothing())
    .returning(['id', 'account_id'])
    .executeTakeFirst()
  if (!row && input.onlyIfFirst) throw new ApiError('forbidden', SIGNUP_CLOSED)
  if (!row) {
    throw new ApiError('validation_failed', `An account with the email ${email} already exists`, [
      { path: 'email', message: 'already registered' },
    ])
  }
  return { accountId: row.account_id, userId: row.id }
}

export async function findAccountIdByUserEmail(db: Kysely<Database>, email: string) {
  const row = await db
    .selectFrom('users')
    .select('account_id')
    .where('email', '=', normaliseEmail(email))
    .executeTakeFirst()
  return row?.account_id
}

/**
 * Sets a user's password (there is no email to send a reset link, so the operator does it from
 * the CLI), ends every session of the user (a reset after a leak must log the leaker out) and
 * clears the email's failed-login count. Undefined: no such user.
 *
 * Two statements of one transaction, the update first: it takes the user's row lock, which a
 * login storing its session holds (FOR SHARE, src/auth/sessions.ts) until it commits. So a login
 * that checked the old password just before is either stored already, and the second statement
 * (a snapshot of its own, taken after the lock) ends its session, or it waits, finds the hash
 * changed and stores nothing. One statement would end only the sessions its snapshot saw.
 */
export async function resetPassword(
  db: Kysely<Database>,
  emailInput: string,
  password: string,
): Promise<{ userId: number; sessionsEnded: number } | undefined> {
  const email = normaliseEmail(emailInput)
  checkPassword(password)
  const passwordHash = await hashPassword(password)
  const user = sql`SELECT id FROM users WHERE email = ${email}`
  const [updated, ended] = await runInTransaction(db, [
    sql`UPDATE users SET password_hash = ${passwordHash} WHERE email = ${email} RETURNING id`.compile(
      db,
    ),
    sql`
      WITH s AS (DELETE FROM sessions WHERE user_id IN (${user}) RETURNING 1),
      f AS (DELETE FROM login_failures WHERE email = ${email} AND EXISTS (${user}))
      SELECT (SELECT count(*) FROM s)::int AS sessions`.compile(db),
  ])
  const row = updated!.rows[0]
  return row && { userId: Number(row.id), sessionsEnded: Number(ended!.rows[0]!.sessions) }
}
