// A cap on how many bytes of a request body anything may read, checked before any handler or
// middleware reads it (Hono's body limit: the declared length at once, a body without one as it
// arrives). 413 `payload_too_large` past it.
//
// The first body limit on a request's way decides; later ones let it through. So an app sets its
// default with `use('*', bodyLimit(…))`, and a route that needs another one (a bigger upload, or a
// stream the route counts itself) declares it with `use(path, …)` before the default.
import type { Context, MiddlewareHandler } from 'hono'
import { bodyLimit as honoBodyLimit } from 'hono/body-limit'
import type { HonoEnv } from '../../env.js'
import { ApiError } from '../../lib/errors.js'

/** A form post or an account API JSON body is a few KB at most; 1 MB leaves room to spare. */
export const DEFAULT_BODY_BYTES = 1024 * 1024

const MB = 1024 * 1024
const describe = (bytes: number) =>
  bytes >= MB && bytes % MB === 0 ? `${bytes / MB} MB` : `${Math.round(bytes / 1024)} KB`

/** How many bytes a request may send: a number, a number decided per request (a bigger upload for
 *  a signed-in user only), or 'counted-by-route' for a route that streams the body and enforces
 *  its own cap (nothing else may read such a body: the CSRF check takes its token from a header). */
export type BodyLimit = number | 'counted-by-route' | ((c: Context<HonoEnv>) => number)

const tooLarge = (maxBytes: number) =>
  new ApiError('payload_too_large', `Request body is over the ${describe(maxBytes)} limit`)

function honoLimit(maxBytes: number) {
  return honoBodyLimit({
    maxSize: maxBytes,
    onError: () => {
      throw tooLarge(maxBytes)
    },
  })
}

export function bodyLimit(maxBytes: BodyLimit): MiddlewareHandler<HonoEnv> {
  const fixed = typeof maxBytes === 'number' ? honoLimit(maxBytes) : undefined
  const perSize = new Map<number, MiddlewareHandler>()
  return async function bodyLimit(c, next) {
    if (c.var.bodyLimit !== undefined) return next()
    if (maxBytes === 'counted-by-route') {
      c.set('bodyLimit', maxBytes)
      return next()
    }
    const bytes = typeof maxBytes === 'function' ? maxBytes(c) : maxBytes
    c.set('bodyLimit', bytes)
    // A declared length is checked from the header here, as Hono would: Hono first asks for
    // `c.req.raw.body`, which on Node makes @hono/node-server build a web Request and stream for
    // a body it otherwise reads straight from the socket (measured ~0.25 ms of CPU per identify).
    const declared = c.req.header('Content-Length')
    if (declared !== undefined && c.req.header('Transfer-Encoding') === undefined) {
      if (Number.parseInt(declared, 10) > bytes) throw tooLarge(bytes)
      return next()
    }
    let limit = fixed
    if (!limit) {
      limit = perSize.get(bytes) ?? honoLimit(bytes)
      perSize.set(bytes, limit)
    }
    return limit(c, next)
  }
}
