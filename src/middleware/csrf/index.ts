// CSRF protection for every non-GET dashboard request (the API under /v1 is another sub-app: its
// keys travel in a header no other site can set). The token is derived from a secret only this
// browser holds in an HttpOnly cookie: the session token when signed in, else a pre-session token
// (so the login and sign-up forms are covered too, against login CSRF). Forms send it in the
// `_csrf` field, htmx and scripts in the X-CSRF-Token header (set once on <body> by the layout).
// The same secret signs the flash cookie (src/middleware/flash).
import type { Context, MiddlewareHandler } from 'hono'
import { getCookie, setCookie } from 'hono/cookie'
import { timingSafeEqual } from 'hono/utils/buffer'
import type { HonoEnv } from '../../env.js'
import { ApiError } from '../../lib/errors.js'
import { formBody } from '../../lib/http.js'
import { hashKey, randomBase62 } from '../../lib/keys.js'
import { SESSION_COOKIE, cookieOptions, cookiePrefix } from '../session/index.js'

export const CSRF_FIELD = '_csrf'
export const CSRF_HEADER = 'X-CSRF-Token'
export const PRESESSION_COOKIE = 'tcrm_pre'

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS'])
const FORM_TYPES = ['application/x-www-form-urlencoded', 'multipart/form-data']

/** The token that goes with a cookie secret; SHA-256 cannot be turned back into the secret. */
export async function csrfTokenFor(secret: string): Promise<string> {
  return (await hashKey(`csrf:${secret}`)).slice(0, 43)
}

/** The secret this browser sent: its session token when signed in, else its pre-session one. */
export function browserSecret(c: Context<HonoEnv>): string | undefined {
  const prefix = cookiePrefix(c)
  return getCookie(c, SESSION_COOKIE, prefix) ?? getCookie(c, PRESESSION_COOKIE, prefix)
}

/** Gives the browser a new pre-session secret (for a day) and returns it. */
export function startPresession(c: Context<HonoEnv>): string {
  const secret = randomBase62(32)
  setCookie(c, PRESESSION_COOKIE, secret, cookieOptions(c, 86_400))
  return secret
}

/** Sets `c.var.csrfToken` for the pages' forms, and refuses an unsafe request without it (403). */
export function csrf(): MiddlewareHandler<HonoEnv> {
  return async function csrf(c, next) {
    let secret = browserSecret(c)
    const safe = SAFE_METHODS.has(c.req.method)
    if (!secret && safe) secret = startPresession(c)
    const expected = secret ? await csrfTokenFor(secret) : undefined
    if (expected) c.set('csrfToken', expected)
    if (safe) return next()

    let sent = c.req.header(CSRF_HEADER)
    // A route that counts its own body's bytes takes the token in the header only: its body is
    // read by nothing before the route (which checks the session first).
    if (!sent && c.var.bodyLimit !== 'counted-by-route') {
      const type = c.req.header('content-type') ?? ''
      if (FORM_TYPES.some((t) => type.startsWith(t))) {
        const field = (await formBody(c))[CSRF_FIELD]
        if (typeof field === 'string') sent = field
      }
    }
    if (!expected || !sent || !(await timingSafeEqual(sent, expected))) {
      throw new ApiError(
        'forbidden',
        'This form has expired or did not come from this site. Reload the page and try again.',
      )
    }
    return next()
  }
}
