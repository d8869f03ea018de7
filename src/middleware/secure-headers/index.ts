// The security headers every answer carries: one fixed set, written out. It is what hono's
// secureHeaders middleware sent with this app's options (its defaults, the policy below,
// Cross-Origin-Resource-Policy left out), without the option handling this app never used
// (nonces, reporting endpoints, a permissions policy): 1.3 KB of the Worker's gzipped bundle,
// whose budget is 200 KB (bench/README). src/security.test.ts checks the exact set.
import type { MiddlewareHandler } from 'hono'

/** No inline scripts anywhere: htmx and any other JS are files under /assets. Inline style
 *  attributes (badge colours) are allowed; styles cannot run code. */
const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
  "base-uri 'self'",
  "object-src 'none'",
].join('; ')

const HEADERS: [string, string][] = [
  ['Cross-Origin-Opener-Policy', 'same-origin'],
  ['Origin-Agent-Cluster', '?1'],
  ['Referrer-Policy', 'strict-origin-when-cross-origin'],
  ['Strict-Transport-Security', 'max-age=15552000; includeSubDomains'],
  ['X-Content-Type-Options', 'nosniff'],
  ['X-DNS-Prefetch-Control', 'off'],
  ['X-Download-Options', 'noopen'],
  ['X-Frame-Options', 'DENY'],
  ['X-Permitted-Cross-Domain-Policies', 'none'],
  ['X-XSS-Protection', '0'],
  ['Content-Security-Policy', CONTENT_SECURITY_POLICY],
]

/** Sets the headers on the answer, whatever a handler set (Cross-Origin-Resource-Policy is not
 *  among them: browsers call the ingest API cross-origin), and drops X-Powered-By. */
export function secureHeaders(): MiddlewareHandler {
  return async function secureHeaders(c, next) {
    await next()
    for (const [name, value] of HEADERS) c.res.headers.set(name, value)
    c.res.headers.delete('X-Powered-By')
  }
}
