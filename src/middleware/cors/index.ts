// CORS for the ingest API (TinyCRM's own routes and Segment's): any origin may call it, since its
// project keys travel in a header or the body, never a cookie (no credentials to ride on).
//
// Hono's `cors()` answers the preflight. On the calls themselves it would set its one header
// through `c.res` before the route runs, which makes Hono rebuild the route's response (body
// re-wrapped in a stream) and, on Node, takes @hono/node-server off its fast path (a real
// Response, its body piped out): measured ~0.2 ms of the server's CPU per identify. So the
// header goes on with `c.header()`, which Hono adds to whatever response is built, errors too.
import type { MiddlewareHandler } from 'hono'
import { cors } from 'hono/cors'

export function apiCors(): MiddlewareHandler {
  const preflight = cors({
    origin: '*',
    allowHeaders: ['Authorization', 'Content-Type'],
    maxAge: 86400,
  })
  return async function apiCors(c, next) {
    if (c.req.method === 'OPTIONS') return preflight(c, next)
    c.header('Access-Control-Allow-Origin', '*')
    await next()
  }
}
