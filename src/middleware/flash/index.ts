// Post/Redirect/Get's other half (the message itself is src/lib/flash.ts). `flash()` hands the
// flash cookie to the page it names, as `c.var.flash`, and clears the cookie once that page has
// been answered, so a reload shows neither the message nor a key again; `redirectWithFlash()` is
// how every dashboard form post ends.
import type { Context, MiddlewareHandler } from 'hono'
import { deleteCookie, getCookie, setCookie } from 'hono/cookie'
import type { HonoEnv } from '../../env.js'
import {
  FLASH_COOKIE,
  FLASH_SECONDS,
  decodeFlash,
  encodeFlash,
  type Flash,
} from '../../lib/flash.js'
import { cookieOptions } from '../session/index.js'

/** Sets `c.var.flash` on the full-page GET of the path the flash is for, then clears it. */
export function flash(): MiddlewareHandler<HonoEnv> {
  return async function flash(c, next) {
    const raw = getCookie(c, FLASH_COOKIE)
    if (!raw) return next()
    const found = decodeFlash(raw)
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

/** Ends a form post: 303 to `location`, whose page then says `flash.message` once. */
export function redirectWithFlash(c: Context<HonoEnv>, location: string, flash: Flash) {
  const path = new URL(location, c.req.url).pathname
  setCookie(c, FLASH_COOKIE, encodeFlash(path, flash), cookieOptions(c, FLASH_SECONDS))
  return c.redirect(location, 303)
}
