// The dashboard's session, cookie side (the rows are src/auth/sessions.ts). `session()` runs on
// every dashboard request and sets `c.var.user` when the cookie names a live session (one
// statement, only when there is a cookie); `requireUser()` guards the signed-in pages.
import type { Context, MiddlewareHandler } from 'hono'
import { deleteCookie, getCookie, setCookie } from 'hono/cookie'
import { SESSION_DAYS, createSession, deleteSession, findSessionUser } from '../../auth/sessions.js'
import type { HonoEnv, SessionUser } from '../../env.js'
import { hashKey, randomBase62 } from '../../lib/keys.js'

export const SESSION_COOKIE = 'tcrm_session'

/** Secure cookies whenever the visitor reached us over https (directly or through a proxy). */
export function isHttps(c: Context<HonoEnv>): boolean {
  return (
    new URL(c.req.url).protocol === 'https:' ||
    c.req.header('x-forwarded-proto')?.split(',')[0]?.trim() === 'https' ||
    (c.var.config?.publicUrl ?? '').startsWith('https:')
  )
}

export function cookieOptions(c: Context<HonoEnv>, maxAgeSeconds?: number) {
  const prefix = cookiePrefix(c)
  return {
    path: '/',
    httpOnly: true,
    sameSite: 'Lax' as const,
    secure: prefix !== undefined,
    prefix,
    ...(maxAgeSeconds !== undefined ? { maxAge: maxAgeSeconds } : {}),
  }
}

/** Over https every cookie of ours is a `__Host-` one (cookieOptions): only this origin can set
 *  it, never a sibling subdomain or an app on another port of the host over http, so the session
 *  and the secret the CSRF tokens come from are ours, not planted (a planted session signs the
 *  visitor into someone else's account). Read with the same prefix. */
export const cookiePrefix = (c: Context<HonoEnv>) => (isHttps(c) ? ('host' as const) : undefined)

/** Sets `c.var.user` when the session cookie names a live session. */
export function session(): MiddlewareHandler<HonoEnv> {
  return async function session(c, next) {
    const token = getCookie(c, SESSION_COOKIE, cookiePrefix(c))
    if (token && token.length <= 100) {
      const user = await findSessionUser(c.var.db, await hashKey(token))
      if (user) c.set('user', user)
    }
    await next()
    // A signed-in page shows the account's customers, keys or team: no shared cache may keep it,
    // and the browser asks again rather than show a stored copy (after a log-out, say). A route
    // that chose its own caching keeps it.
    if (c.var.user && !c.res.headers.has('Cache-Control')) {
      c.header('Cache-Control', 'private, no-store')
    }
  }
}

/**
 * Lets signed-in users through. A signed-out visitor is sent to the login page (and back here
 * afterwards); an htmx request gets 401 with HX-Redirect, since a redirect would be followed by
 * fetch and swapped into the page, and comes back to the page that sent it (HX-Current-URL, of
 * this origin), not to the fragment it asked for (the views rail a customers page loads).
 */
export function requireUser(): MiddlewareHandler<HonoEnv> {
  return async function requireUser(c, next) {
    if (c.var.user) return next()
    const url = new URL(c.req.url)
    const htmx = c.req.header('HX-Request') === 'true'
    const back =
      (htmx && samePagePath(c.req.header('HX-Current-URL'), url)) || url.pathname + url.search
    const login = `/login?next=${encodeURIComponent(back)}`
    if (htmx) {
      c.header('HX-Redirect', login)
      return c.body(null, 401)
    }
    return c.redirect(login, 303)
  }
}

/** The path and query of `page` when it is a URL of the same origin as `url`. */
function samePagePath(page: string | undefined, url: URL): string | undefined {
  if (!page) return undefined
  try {
    const at = new URL(page)
    return at.origin === url.origin ? at.pathname + at.search : undefined
  } catch {
    return undefined
  }
}

/** The signed-in user of a route behind requireUser(). */
export function sessionUser(c: Context<HonoEnv>): SessionUser {
  if (!c.var.user) throw new Error('sessionUser() on a route without requireUser()')
  return c.var.user
}

/** Starts a session for the user and sets its cookie; the browser's previous session ends.
 *  False: the password changed since it was checked, and nothing was started. */
export async function startSession(
  c: Context<HonoEnv>,
  userId: number,
  /** After a password check: the hash it passed (src/auth/sessions.ts). */
  passwordHash?: string,
): Promise<boolean> {
  const token = randomBase62(43) // ~256 bits
  const previous = getCookie(c, SESSION_COOKIE, cookiePrefix(c))
  const stored = await createSession(c.var.db, {
    userId,
    tokenHash: await hashKey(token),
    replacesTokenHash: previous ? await hashKey(previous) : undefined,
    passwordHash,
  })
  if (stored) setCookie(c, SESSION_COOKIE, token, cookieOptions(c, SESSION_DAYS * 86_400))
  return stored
}

/** Ends the visitor's session (if any) in the database and clears the cookie. */
export async function endSession(c: Context<HonoEnv>): Promise<void> {
  const token = getCookie(c, SESSION_COOKIE, cookiePrefix(c))
  if (token) await deleteSession(c.var.db, await hashKey(token))
  deleteCookie(c, SESSION_COOKIE, cookieOptions(c))
}
