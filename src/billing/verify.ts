// Webhook signatures, checked exactly as the providers sign them, with Web Crypto only (the same
// code runs on Node and in workerd) and a constant-time comparison.
//
// - Stripe: `Stripe-Signature: t=<unix>,v1=<hex>[,v1=<hex>…][,v0=…]`, the HMAC-SHA256 of
//   `<t>.<raw body>` keyed with the endpoint's signing secret (`whsec_…`, used whole). Any v1 may
//   match (Stripe sends several while a secret is being rolled); v0 and unknown schemes are
//   ignored. Stripe's libraries accept a timestamp up to 300 s old.
// - Paddle Billing: `Paddle-Signature: ts=<unix>;h1=<hex>[;h1=<hex>…]`, the HMAC-SHA256 of
//   `<ts>:<raw body>` keyed with the notification destination's secret key. Paddle's docs and
//   SDKs allow a timestamp 5 s old ("a five-second tolerance by default").
// A timestamp in the future is accepted, as both providers' libraries do: only its holder of the
// secret could have made it, and our clock may be the one behind.
import { timingSafeEqual } from 'hono/utils/buffer'
import type { Provider } from './events.js'

export const TOLERANCE_SECONDS: Record<Provider, number> = { stripe: 300, paddle: 5 }
export const SIGNATURE_HEADER: Record<Provider, string> = {
  stripe: 'Stripe-Signature',
  paddle: 'Paddle-Signature',
}

export type Verdict = { ok: true } | { ok: false; reason: string }

const encoder = new TextEncoder()

async function hmacHex(secret: string, prefix: string, body: Uint8Array): Promise<string> {
  const key = await crypto.subtle.importKey(
    'raw',
    encoder.encode(secret),
    { name: 'HMAC', hash: 'SHA-256' },
    false,
    ['sign'],
  )
  const head = encoder.encode(prefix)
  const message = new Uint8Array(head.length + body.length)
  message.set(head)
  message.set(body, head.length)
  const mac = new Uint8Array(await crypto.subtle.sign('HMAC', key, message))
  return Array.from(mac, (b) => b.toString(16).padStart(2, '0')).join('')
}

/** The header's `name=value` pairs, in order (a name may repeat). */
function pairs(header: string, separator: string): [string, string][] {
  return header.split(separator).flatMap((part) => {
    const eq = part.indexOf('=')
    return eq > 0 ? [[part.slice(0, eq).trim(), part.slice(eq + 1).trim()] as [string, string]] : []
  })
}

export async function verifySignature(
  provider: Provider,
  body: Uint8Array,
  header: string | undefined,
  secret: string,
  nowSeconds = Date.now() / 1000,
): Promise<Verdict> {
  const name = SIGNATURE_HEADER[provider]
  if (!header) return { ok: false, reason: `the ${name} header is missing` }
  const stripe = provider === 'stripe'
  const [tsName, sigName, separator, joiner] = stripe
    ? ['t', 'v1', ',', '.']
    : ['ts', 'h1', ';', ':']
  const fields = pairs(header, separator)
  const ts = fields.find(([k]) => k === tsName)?.[1] ?? ''
  const signatures = fields.filter(([k]) => k === sigName).map(([, v]) => v)
  if (!/^\d{1,12}$/.test(ts)) {
    return { ok: false, reason: `${name} has no timestamp (${tsName}=<unix seconds>)` }
  }
  if (signatures.length === 0) {
    return { ok: false, reason: `${name} has no ${sigName} signature` }
  }
  const age = Math.floor(nowSeconds) - Number(ts)
  const tolerance = TOLERANCE_SECONDS[provider]
  if (age > tolerance) {
    return {
      ok: false,
      reason: `${name} was made ${age} s ago, more than the ${tolerance} s allowed (a replay, or a clock off)`,
    }
  }
  const expected = await hmacHex(secret, `${ts}${joiner}`, body)
  for (const signature of signatures) {
    if (await timingSafeEqual(expected, signature.toLowerCase())) return { ok: true }
  }
  return {
    ok: false,
    reason: `no ${sigName} signature in ${name} matches this body and this connection's signing secret`,
  }
}
