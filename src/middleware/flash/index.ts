// Post/Redirect/Get's other half (the message itself is src/lib/flash.ts). `flash()` hands the
// flash cookie to the page it names, as `c.var.flash`, and clears the cookie once that page has
// been answered, so a reload shows neither the message nor a key again; `redirectWithFlash()` is
// how every dashboard form post ends.
//
// The cookie is signed (HMAC) with the browser's own secret, the one its CSRF tokens come from
// (src/middleware/csrf): another app on this host (cookies do not tell ports apart), a sibling
// subdomain or a network attacker can plant a cookie, but cannot read that HttpOnly secret, so
// what they plant is never shown. Keyed by the browser rather than by a server secret, a flash
// cannot be replayed into another browser either (a message naming a project is partly the
// user's own text). A cookie that fails the check is cleared.
import type { Context, MiddlewareHandler } from 'hono'
import { deleteCookie, getCookie, getSignedCookie, setSignedCookie } from 'hono/cookie'
import type { HonoEnv } from '../../env.js'
import {
  FLASH_COOKIE,
  FLASH_SECONDS,
  decodeFlash,
  encodeFlash,
  type Flash,
  type Refusal,
} from '../../lib/flash.js'
import { browserSecret } from '../csrf/index.js'
import { cookieOptions, cookiePrefix } from '../session/index.js'

/** The HMAC key of a browser's flash cookies: its secret, labelled so it signs nothing else. */
const flashKey = (secret: string) => `flash:${secret}`

/** Sets `c.var.flash` on the full-page GET of the path the flash is for, then clears it. */
export function flash(): MiddlewareHandler<HonoEnv> {
  return async function flash(c, next) {
    if (!getCookie(c, FLASH_COOKIE, cookiePrefix(c))) return next()
    const secret = browserSecret(c)
    // A string when the signature holds; false (wrong key) or undefined (no signature) otherwise.
    const value =
      secret && (await getSignedCookie(c, flashKey(secret), FLASH_COOKIE, cookiePrefix(c)))
    const found = typeof value === 'string' ? decodeFlash(value) : undefined
    if (!found) {
      deleteCookie(c, FLASH_COOKIE, cookieOptions(c))
      return next()
    }
    // htmx fragments and other paths leave it for the page it is for (or it expires).
    const isPage = c.req.method === 'GET' && c.req.header('HX-Request') !== 'true'
    if (!isPage || found.path !== new URL(c.req.url).pathname) return next()
    c.set('flash', found.flash)
    await next()
    // Shown: gone. A failed page leaves it, so the reload that follows still shows a new key.
    if (c.res.status < 400) {
      deleteCookie(c, FLASH_COOKIE, cookieOptions(c))
      // The page carries the message (and maybe a live key): no browser or proxy keeps it.
      c.header('Cache-Control', 'no-store')
    }
  }
}

/**
 * Ends a form post: 303 to `location`, whose page then says `flash.message` once. `secret` is the
 * one the browser will send there: the one it sent here, unless this request changed it (log-out).
 */
export async function redirectWithFlash(
  c: Context<HonoEnv>,
  location: string,
  flash: Flash,
  secret = browserSecret(c),
) {
  const path = new URL(location, c.req.url).pathname
  // Always set past csrf(), which refuses a post from a browser without one.
  if (secret) {
    const value = encodeFlash(path, flash)
    await setSignedCookie(c, FLASH_COOKIE, value, flashKey(secret), cookieOptions(c, FLASH_SECONDS))
  }
  return c.redirect(location, 303)
}

/**
 * Ends a form post that changed nothing: 303 to the page of the form (`location`), which shows
 * `message` at that form and fills it in again, so Back and reload never resubmit it.
 */
export function redirectRefused(
  c: Context<HonoEnv>,
  location: string,
  message: string,
  refused: Refusal,
) {
  return redirectWithFlash(c, location, { message, tone: 'danger', refused })
}
