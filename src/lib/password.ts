// Password hashing with PBKDF2-SHA-256 through Web Crypto (the same code on Node and Workers).
// 100,000 iterations: the most Workers' Web Crypto allows. Stored as
// `pbkdf2-sha256$<iterations>$<salt b64>$<hash b64>` so the cost can be raised later.
import { timingSafeEqual } from 'hono/utils/buffer'
import { decodeBase64, encodeBase64 } from 'hono/utils/encode'

const ITERATIONS = 100_000

async function derive(
  password: string,
  salt: BufferSource,
  iterations: number,
): Promise<Uint8Array> {
  const key = await crypto.subtle.importKey(
    'raw',
    new TextEncoder().encode(password),
    'PBKDF2',
    false,
    ['deriveBits'],
  )
  const bits = await crypto.subtle.deriveBits(
    { name: 'PBKDF2', hash: 'SHA-256', salt, iterations },
    key,
    256,
  )
  return new Uint8Array(bits)
}

export async function hashPassword(password: string): Promise<string> {
  const salt = crypto.getRandomValues(new Uint8Array(16))
  const hash = await derive(password, salt, ITERATIONS)
  return `pbkdf2-sha256$${ITERATIONS}$${encodeBase64(salt.buffer)}$${encodeBase64(hash.buffer)}`
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [scheme, iter, salt, hash] = stored.split('$')
  if (scheme !== 'pbkdf2-sha256' || !iter || !salt || !hash) return false
  const actual = await derive(password, decodeBase64(salt), Number(iter))
  return timingSafeEqual(encodeBase64(actual.buffer), hash)
}
