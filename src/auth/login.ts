// Password sign-in with a slow-down: failed attempts are counted per email in the database (so it
// holds across Worker isolates). After FREE_ATTEMPTS failures the email is locked for a window
// that doubles with each further failure, up to an hour; a success clears the count.
import { sql, type Kysely } from 'kysely'
import type { Database } from '../db/schema.js'
import type { SessionUser } from '../env.js'
import { normaliseEmail } from '../accounts/store.js'
import { hashPassword, verifyPassword } from '../lib/password.js'

export const FREE_ATTEMPTS = 5
export const MAX_LOCK_MINUTES = 60

export type LoginResult =
  /** passwordHash: the hash the password matched, for startSession (a reset may come between). */
  | { ok: true; user: SessionUser; hadFailures: boolean; passwordHash: string }
  | { ok: false; reason: 'invalid' }
  | { ok: false; reason: 'locked'; retryAfterSeconds: number }

// Verifying against a throwaway hash when the email is unknown keeps the response time the same,
// so timing does not tell which emails have accounts.
let dummyHash: Promise<string> | undefined

export async function checkLogin(
  db: Kysely<Database>,
  emailInput: string,
  password: string,
): Promise<LoginResult> {
  const email = normaliseEmail(emailInput)
  const { rows } = await sql<{
    user_id: number | null
    account_id: number | null
    password_hash: string | null
    failures: number | null
    locked_until: Date | null
  }>`
    SELECT u.id AS user_id, u.account_id, u.password_hash, f.failures, f.locked_until
    FROM (SELECT ${email}::text AS email) e
    LEFT JOIN users u ON u.email = e.email
    LEFT JOIN login_failures f ON f.email = e.email`.execute(db)
  const row = rows[0]!
  if (row.locked_until && row.locked_until.getTime() > Date.now()) {
    return {
      ok: false,
      reason: 'locked',
      retryAfterSeconds: Math.ceil((row.locked_until.getTime() - Date.now()) / 1000),
    }
  }
  const stored = row.password_hash ?? (await (dummyHash ??= hashPassword('not a real password')))
  const valid = (await verifyPassword(password, stored)) && row.user_id !== null
  if (valid) {
    return {
      ok: true,
      user: { userId: row.user_id!, accountId: row.account_id!, email },
      hadFailures: (row.failures ?? 0) > 0,
      passwordHash: stored,
    }
  }
  await recordFailure(db, email)
  return { ok: false, reason: 'invalid' }
}

/**
 * Counts a failure; a quiet hour since the last one starts the count again. Counters idle for a
 * day are swept in the same statement (they are only kept to slow down guessing).
 */
async function recordFailure(db: Kysely<Database>, email: string) {
  await sql`
    WITH stale AS (
      DELETE FROM login_failures
      WHERE last_failed_at < now() - interval '1 day' AND coalesce(locked_until, now()) <= now()
        AND email <> ${email}
    )
    INSERT INTO login_failures AS f (email, failures, last_failed_at)
    VALUES (${email}, 1, now())
    ON CONFLICT (email) DO UPDATE SET
      failures = CASE WHEN f.last_failed_at < now() - interval '1 hour' THEN 1 ELSE f.failures + 1 END,
      last_failed_at = now(),
      locked_until = CASE
        WHEN f.last_failed_at >= now() - interval '1 hour' AND f.failures + 1 >= ${FREE_ATTEMPTS}
        THEN now() + least(power(2, f.failures + 1 - ${FREE_ATTEMPTS}), ${MAX_LOCK_MINUTES})
          * interval '1 minute'
      END`.execute(db)
}

export async function clearFailures(db: Kysely<Database>, email: string) {
  await db.deleteFrom('login_failures').where('email', '=', normaliseEmail(email)).execute()
}

/** Whether the server has any account yet (a fresh one sends its first visitor to sign up). */
export async function hasAnyAccount(db: Kysely<Database>): Promise<boolean> {
  const row = await db.selectFrom('accounts').select('id').limit(1).executeTakeFirst()
  return row !== undefined
}

/** With TINYCRM_SIGNUP=closed, only the very first account may sign up. */
export async function signupAllowed(db: Kysely<Database>, mode: 'open' | 'closed' = 'open') {
  if (mode === 'open') return true
  return !(await hasAnyAccount(db))
}
