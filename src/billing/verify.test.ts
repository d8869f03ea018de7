// Signatures as the providers make them: Stripe's headers come from the official `stripe` package
// (generateTestHeaderString), and each verdict is compared with stripe's own verifier; Paddle's
// come from its documented scheme (HMAC-SHA256 of `ts:body`) and are compared with the official
// `@paddle/paddle-node-sdk`'s verifier.
import { createHmac } from 'node:crypto'
import { Paddle } from '@paddle/paddle-node-sdk'
import Stripe from 'stripe'
import { describe, expect, it } from 'vitest'
import { verifySignature } from './verify.js'

const stripe = new Stripe('sk_test_not_used')
const paddle = new Paddle('pdl_sdbx_apikey_not_used')
const STRIPE_SECRET = 'whsec_test_5WbX5kEWLlfzsGNjH64I8lOOqUB6e8FH'
const PADDLE_SECRET = 'pdl_ntfset_01gkpjp8bkm3tm53kdgkx6sms7_6h3qd3uFSi9YCD3OLYAShQI90XTI5vEI'
const encode = (s: string) => new TextEncoder().encode(s)
const now = () => Math.floor(Date.now() / 1000)

const payload = JSON.stringify({ id: 'evt_1', type: 'customer.updated', data: { object: {} } })

function stripeAgrees(body: string, header: string) {
  try {
    return stripe.webhooks.signature!.verifyHeader(body, header, STRIPE_SECRET, 300)
  } catch {
    return false
  }
}

async function ours(provider: 'stripe' | 'paddle', body: string, header: string, secret?: string) {
  const verdict = await verifySignature(
    provider,
    encode(body),
    header,
    secret ?? (provider === 'stripe' ? STRIPE_SECRET : PADDLE_SECRET),
  )
  return verdict.ok
}

describe('Stripe-Signature', () => {
  const header = (opts: { timestamp?: number; payload?: string; secret?: string } = {}) =>
    stripe.webhooks.generateTestHeaderString({
      payload: opts.payload ?? payload,
      secret: opts.secret ?? STRIPE_SECRET,
      timestamp: opts.timestamp,
    })

  it('accepts what stripe signs, and refuses what stripe refuses', async () => {
    const cases: [string, string, string][] = [
      ['signed now', payload, header()],
      ['299 s old', payload, header({ timestamp: now() - 299 })],
      ['a minute ahead', payload, header({ timestamp: now() + 60 })],
      ['301 s old', payload, header({ timestamp: now() - 301 })],
      ['one byte changed', payload.replace('evt_1', 'evt_2'), header()],
      ['another secret', payload, header({ secret: 'whsec_someone_else' })],
      ['no v1', payload, header().replace('v1=', 'v0=')],
      ['no timestamp', payload, header().replace(/t=\d+,/, '')],
      ['garbage', payload, 'not a header'],
    ]
    for (const [name, body, h] of cases) {
      expect(await ours('stripe', body, h), name).toBe(stripeAgrees(body, h))
    }
    expect(await ours('stripe', payload, header())).toBe(true)
  })

  it('accepts any of several v1 signatures and ignores v0 and unknown schemes', async () => {
    const good = header().split(',')
    const t = good[0]!
    const v1 = good[1]!
    const h = `${t},v0=${'0'.repeat(64)},v1=${'f'.repeat(64)},v2=xyz,${v1}`
    expect(await ours('stripe', payload, h)).toBe(true)
    expect(stripeAgrees(payload, h)).toBe(true)
  })

  it('says why it refused', async () => {
    const stale = await verifySignature(
      'stripe',
      encode(payload),
      header({ timestamp: now() - 400 }),
      STRIPE_SECRET,
    )
    expect(stale).toMatchObject({ ok: false, reason: expect.stringMatching(/400 s ago.*300 s/) })
    const missing = await verifySignature('stripe', encode(payload), undefined, STRIPE_SECRET)
    expect(missing).toEqual({ ok: false, reason: 'the Stripe-Signature header is missing' })
    const wrong = await verifySignature('stripe', encode(payload + ' '), header(), STRIPE_SECRET)
    expect(wrong).toMatchObject({ ok: false, reason: expect.stringMatching(/no v1 signature/) })
  })

  it('checks the raw bytes, not a re-encoding of them', async () => {
    const bytes = new Uint8Array([...encode('{"name":"'), 0xff, 0xfe, ...encode('"}')])
    const t = now()
    const mac = createHmac('sha256', STRIPE_SECRET)
      .update(Buffer.concat([Buffer.from(`${t}.`), Buffer.from(bytes)]))
      .digest('hex')
    const verdict = await verifySignature('stripe', bytes, `t=${t},v1=${mac}`, STRIPE_SECRET)
    expect(verdict).toEqual({ ok: true })
  })
})

describe('Paddle-Signature', () => {
  /** Paddle's documented scheme: ts=<unix>;h1=HMAC-SHA256(secret, `${ts}:${body}`) in hex. */
  const sign = (body: string, ts = now(), secret = PADDLE_SECRET) =>
    `ts=${ts};h1=${createHmac('sha256', secret).update(`${ts}:${body}`).digest('hex')}`
  const paddleAgrees = (body: string, h: string) =>
    paddle.webhooks.isSignatureValid(body, PADDLE_SECRET, h).catch(() => false)

  it("accepts what Paddle's SDK accepts, and refuses what it refuses", async () => {
    const body = JSON.stringify({ event_id: 'evt_01', event_type: 'customer.updated', data: {} })
    const cases: [string, string, string][] = [
      ['signed now', body, sign(body)],
      // Well inside and well outside Paddle's 5 s: the two checks run a moment apart, and a
      // signature at 4 s could cross the limit between them on a busy machine.
      ['2 s old', body, sign(body, now() - 2)],
      ['10 s old', body, sign(body, now() - 10)],
      ['one byte changed', body.replace('evt_01', 'evt_02'), sign(body)],
      ['another secret', body, sign(body, now(), 'pdl_ntfset_someone_else')],
    ]
    for (const [name, b, h] of cases) {
      expect(await ours('paddle', b, h), name).toBe(await paddleAgrees(b, h))
    }
    expect(await ours('paddle', body, sign(body))).toBe(true)
  })

  it('accepts any of several h1 signatures (Paddle sends "at least one")', async () => {
    const body = '{"event_id":"evt_02"}'
    const good = sign(body)
    const [ts, h1] = good.split(';')
    // The SDK reads only the last h1; we accept any, as the docs describe the header.
    expect(await ours('paddle', body, `${ts};${h1};h1=${'0'.repeat(64)}`)).toBe(true)
    expect(await ours('paddle', body, `${ts};h1=${'0'.repeat(64)};${h1}`)).toBe(true)
    expect(await paddleAgrees(body, `${ts};h1=${'0'.repeat(64)};${h1}`)).toBe(true)
  })

  it('says why it refused', async () => {
    const body = '{}'
    const verdict = await verifySignature(
      'paddle',
      encode(body),
      sign(body, now() - 60),
      PADDLE_SECRET,
    )
    expect(verdict).toMatchObject({ ok: false, reason: expect.stringMatching(/60 s ago.*5 s/) })
    const noTs = await verifySignature('paddle', encode(body), 'h1=abc', PADDLE_SECRET)
    expect(noTs).toMatchObject({ ok: false, reason: expect.stringMatching(/no timestamp/) })
  })
})
