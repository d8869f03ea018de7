// DNS rebinding guard. A server bound to loopback trusts that only this machine reaches it, but a
// web page can point a name of its own at 127.0.0.1 and then talk to the server from the
// browser as a "same-origin" site (sign up, read pages, post forms). Such requests carry the
// attacker's name in Host, so a server bound to loopback answers only Hosts that are loopback
// names or TINYCRM_PUBLIC_URL's host. Bound elsewhere (a container, behind a proxy) it checks
// nothing: the proxy or the platform decides which names reach it.
import type { MiddlewareHandler } from 'hono'
import { ApiError } from '../../lib/errors.js'

const LOOPBACK_NAMES = ['localhost', '127.0.0.1', '[::1]']

function isLoopback(hostname: string): boolean {
  const h = hostname.toLowerCase()
  // *.localhost resolves to loopback in browsers whatever DNS says (RFC 6761).
  return (
    h === 'localhost' ||
    h.endsWith('.localhost') ||
    /^127(\.\d{1,3}){3}$/.test(h) ||
    h === '::1' ||
    h === '[::1]'
  )
}

/** The Hosts a server bound to `bindHost` may answer, or undefined when it is not bound to
 *  loopback (then any Host is fine). */
export function loopbackHosts(bindHost: string, publicUrl: string | undefined) {
  if (!isLoopback(bindHost)) return undefined
  const hosts = [...LOOPBACK_NAMES]
  if (publicUrl) hosts.push(new URL(publicUrl).hostname.toLowerCase())
  return hosts
}

/** Refuses (403) a request whose Host is neither a loopback name nor one of `allowed`; with
 *  `allowed` undefined, it lets everything through. */
export function hostCheck(allowed: readonly string[] | undefined): MiddlewareHandler {
  const names = new Set(allowed)
  return async function hostCheck(c, next) {
    if (!allowed) return next()
    // The URL's host is the Host header as the Node adapter received it.
    const hostname = new URL(c.req.url).hostname.toLowerCase()
    if (!isLoopback(hostname) && !names.has(hostname)) {
      throw new ApiError(
        'forbidden',
        `This server is bound to loopback and answers only ${[...names].join(', ')}: ` +
          `'${hostname}' is refused (it could be a web page rebinding its name to this machine). ` +
          'To reach it under another name, set TINYCRM_PUBLIC_URL to that URL.',
      )
    }
    return next()
  }
}
