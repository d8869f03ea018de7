// Dashboard sessions kept in the database: the cookie holds a random token, the `sessions` table
// only its SHA-256, so logging out or deleting a user really ends the session everywhere.
// `requireUser` guards every signed-in page (ours and the customers pages).
import type { Context, MiddlewareHandler } from 'hono'
import { deleteCookie, getCookie, setCookie } from 'hono/cookie'
import type { HonoEnv, SessionUser } from '../env.js'
import { randomBase62 } from '../lib/keys.js'
import { sha256Hex } from './crypto.js'

export const SESSION_COOKIE = 'tcrm_session'
/** Sessions last 30 days from sign-in; signing in again starts a new one. */
export const SESSION_DAYS = 30

/** Secure cookies whenever the visitor reached us over https (directly or through a proxy). */
export function isHttps(c: Context<HonoEnv>): boolean {
  return (
    new URL(c.req.url).protocol === 'https:' ||
    c.req.header('x-forwarded-proto')?.split(',')[0]?.trim() === 'https' ||
    (c.var.config?.publicUrl ?? '').startsWith('https:')
  )
}

export function cookieOptions(c: Context<HonoEnv>, maxAgeSeconds?: number) {
  return {
    path: '/',
    httpOnly: true,
    sameSite: 'Lax' as const,
    secure: isHttps(c),
    ...(maxAgeSeconds !== undefined ? { maxAge: maxAgeSeconds } : {}),
  }
}

/** Starts a session for the user and sets its cookie. One statement. */
export async function startSession(c: Context<HonoEnv>, userId: number): Promise<void> {
  const token = randomBase62(43) // ~256 bits
  const expiresAt = new Date(Date.now() + SESSION_DAYS * 86_400_000)
  // In the same statement: the session this browser had before (signing in again must not leave
  // it alive) and the user's expired sessions (so the table does not grow forever) are deleted.
  const previous = getCookie(c, SESSION_COOKIE)
  const previousHash = previous ? await sha256Hex(previous) : ''
  await c.var.db
    .with('replaced', (db) =>
      db
        .deleteFrom('sessions')
        .where((eb) =>
          eb.or([
            eb('token_hash', '=', previousHash),
            eb.and([eb('user_id', '=', userId), eb('expires_at', '<=', new Date())]),
          ]),
        ),
    )
    .insertInto('sessions')
    .values({ token_hash: await sha256Hex(token), user_id: userId, expires_at: expiresAt })
    .execute()
  setCookie(c, SESSION_COOKIE, token, cookieOptions(c, SESSION_DAYS * 86_400))
}

/** Ends the visitor's session (if any) in the database and clears the cookie. */
export async function endSession(c: Context<HonoEnv>): Promise<void> {
  const token = getCookie(c, SESSION_COOKIE)
  if (token) {
    await c.var.db
      .deleteFrom('sessions')
      .where('token_hash', '=', await sha256Hex(token))
      .execute()
  }
  deleteCookie(c, SESSION_COOKIE, cookieOptions(c))
}

/** The signed-in user of this request, or undefined. One statement when a cookie is present. */
export async function currentUser(c: Context<HonoEnv>): Promise<SessionUser | undefined> {
  if (c.var.user) return c.var.user
  const token = getCookie(c, SESSION_COOKIE)
  if (!token || token.length > 100) return undefined
  const row = await c.var.db
    .selectFrom('sessions as s')
    .innerJoin('users as u', 'u.id', 's.user_id')
    .select(['u.id as userId', 'u.account_id as accountId', 'u.email'])
    .where('s.token_hash', '=', await sha256Hex(token))
    .where('s.expires_at', '>', new Date())
    .executeTakeFirst()
  if (row) c.set('user', row)
  return row
}

/**
 * Lets signed-in users through with `c.var.user` set. A signed-out visitor is sent to the login
 * page (and back here afterwards); an htmx request gets 401 with HX-Redirect, since a redirect
 * would be followed by fetch and swapped into the page.
 */
export function requireUser(): MiddlewareHandler<HonoEnv> {
  return async function requireUser(c, next) {
    const user = await currentUser(c)
    if (user) return next()
    const url = new URL(c.req.url)
    const login = `/login?next=${encodeURIComponent(url.pathname + url.search)}`
    if (c.req.header('HX-Request') === 'true') {
      c.header('HX-Redirect', login)
      return c.body(null, 401)
    }
    return c.redirect(login, 303)
  }
}

/** Only same-site paths are followed after login (no open redirect to another host). */
export function safeNext(next: string | undefined | null): string {
  if (!next || !next.startsWith('/') || next.startsWith('//') || next.startsWith('/\\')) {
    return '/customers'
  }
  return next
}
