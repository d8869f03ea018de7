// Delivering webhook events the way providers do: shuffled, each 1–3 times, signed at the moment
// of sending, with some first attempts failing (503) and retried until they get a 2xx. Plus the
// real app served over HTTP with a fault injector in front: a request marked by the test either
// finds the database failing at its write (nothing applied), or is applied and its answer lost.
import { AsyncLocalStorage } from 'node:async_hooks'
import { createHmac } from 'node:crypto'
import type { AddressInfo } from 'node:net'
import { serve } from '@hono/node-server'
import type { Kysely, KyselyPlugin } from 'kysely'
import Stripe from 'stripe'
import { createApp } from '../../src/app.js'
import type { Database } from '../../src/db/schema.js'
import { random, shuffle } from './billing-replay-core.js'

export interface Delivery {
  /** The connection's webhook path. */
  path: string
  provider: 'stripe' | 'paddle'
  secret: string
  body: string
}

export type Fault = 'db' | 'lost'

const stripe = new Stripe('sk_test_not_used')

/** The signature header a provider sends with `body`, made now. */
export function signatureHeaders(
  d: Delivery,
  now = Math.floor(Date.now() / 1000),
): Record<string, string> {
  if (d.provider === 'stripe') {
    const header = stripe.webhooks.generateTestHeaderString({
      payload: d.body,
      secret: d.secret,
      timestamp: now,
    })
    return { 'Stripe-Signature': header }
  }
  // Paddle's documented scheme: ts=<unix>;h1=HMAC-SHA256(secret, `${ts}:${body}`).
  const h1 = createHmac('sha256', d.secret).update(`${now}:${d.body}`).digest('hex')
  return { 'Paddle-Signature': `ts=${now};h1=${h1}` }
}

export { random, shuffle } from './billing-replay-core.js'

export interface ReplayStats {
  requests: number
  duplicates: number
  faults: Record<Fault, number>
  statuses: Record<number, number>
}

/**
 * Posts every delivery 1–3 times in a shuffled order, `concurrency` at a time. A share of first
 * attempts carries a fault; any 503 is retried later, as a provider does, until the answer is 2xx.
 * Throws on any other status.
 */
export async function replay(
  send: (d: Delivery, fault: Fault | undefined) => Promise<{ status: number; body: any }>,
  deliveries: Delivery[],
  opts: { seed: number; concurrency: number; faultShare: number },
): Promise<ReplayStats> {
  const rnd = random(opts.seed)
  const queue: { d: Delivery; fault?: Fault }[] = []
  for (const d of deliveries) {
    const copies = 1 + Math.floor(rnd() * 3)
    for (let k = 0; k < copies; k++) queue.push({ d })
  }
  const stats: ReplayStats = {
    requests: 0,
    duplicates: 0,
    faults: { db: 0, lost: 0 },
    statuses: {},
  }
  const pending = shuffle(queue, rnd)
  for (const item of pending) {
    if (rnd() < opts.faultShare) item.fault = rnd() < 0.5 ? 'db' : 'lost'
  }
  // A worker that fails stops the others from taking more: replay returns only once every
  // request it sent has been answered, so none lands in the next test's database.
  let failed = false
  const worker = async () => {
    for (let item = pending.shift(); item && !failed; item = pending.shift()) {
      const res = await send(item.d, item.fault)
      stats.requests++
      stats.statuses[res.status] = (stats.statuses[res.status] ?? 0) + 1
      if (item.fault) stats.faults[item.fault]++
      if (res.status === 503) {
        // Retried later, without a fault this time.
        pending.splice(Math.floor(rnd() * (pending.length + 1)), 0, { d: item.d })
        continue
      }
      if (res.status !== 200) {
        failed = true
        throw new Error(
          `${res.status} for ${item.d.body.slice(0, 120)}: ${JSON.stringify(res.body)}`,
        )
      }
      if (res.body.duplicate) stats.duplicates++
    }
  }
  const workers = await Promise.allSettled(
    Array.from({ length: opts.concurrency }, () =>
      worker().catch((err: unknown) => {
        failed = true
        throw err
      }),
    ),
  )
  for (const w of workers) if (w.status === 'rejected') throw w.reason
  return stats
}

/** The real app over HTTP, with the fault injector in front (see the top of this file). */
export async function startFaultyServer(db: Kysely<Database>) {
  const failing = new AsyncLocalStorage<{ queries: number }>()
  // The request's second statement (its write; the first looks the connection up) fails as a
  // dropped connection does, so the app answers 503 exactly as it would in an outage.
  const plugin: KyselyPlugin = {
    transformQuery(args) {
      const store = failing.getStore()
      if (store && ++store.queries === 2) {
        throw Object.assign(new Error('injected: connection lost'), { code: '08006' })
      }
      return args.node
    },
    transformResult: async (args) => args.result,
  }
  const app = createApp({ db: db.withPlugin(plugin) })
  const server = serve({
    port: 0,
    hostname: '127.0.0.1',
    fetch: async (req: Request) => {
      const fault = req.headers.get('x-test-fault')
      if (fault === 'db') return failing.run({ queries: 0 }, () => app.fetch(req))
      if (fault === 'lost') {
        await (await app.fetch(req)).text()
        return new Response('{"lost":true}', { status: 503 })
      }
      return app.fetch(req)
    },
  })
  await new Promise((resolve) => server.once('listening', resolve))
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  const send = async (d: Delivery, fault?: Fault) => {
    const headers: Record<string, string> = {
      'Content-Type': 'application/json',
      ...signatureHeaders(d),
    }
    if (fault) headers['x-test-fault'] = fault
    // A keep-alive connection the server closed as the request went out (ECONNRESET: seen under
    // load in CI) is sent again, as a provider does with a delivery that got no answer; the app
    // applies an event once however often it comes.
    for (let attempt = 1; ; attempt++) {
      try {
        const res = await fetch(url + d.path, { method: 'POST', headers, body: d.body })
        const text = await res.text()
        return { status: res.status, body: text ? JSON.parse(text) : null }
      } catch (err) {
        if (attempt >= 3 || !(err instanceof TypeError)) throw err
      }
    }
  }
  return {
    url,
    send,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  }
}
