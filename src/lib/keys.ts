// API keys: `tcrm_proj_` + 32 random base62 characters (~190 bits). Only their SHA-256 is stored;
// a fast hash is right for keys this random (nothing to brute-force), and it lets the ingest
// statement find a key by equality on a unique index.
import { createHash } from 'node:crypto'

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz'
export const PROJECT_KEY_PREFIX = 'tcrm_proj_'
/** Account API tokens (src/account-api/tokens.ts): told apart from project keys by this. */
export const ACCOUNT_TOKEN_PREFIX = 'tcrm_acct_'
const RANDOM_CHARS = 32
/** How many characters of a key are kept in clear to tell keys apart. */
export const KEY_PREFIX_LENGTH = PROJECT_KEY_PREFIX.length + 6

export function randomBase62(length: number): string {
  let out = ''
  while (out.length < length) {
    for (const byte of crypto.getRandomValues(new Uint8Array(length * 2))) {
      if (byte < 248 && out.length < length) out += BASE62[byte % 62] // 248 = 4 * 62: no bias
    }
  }
  return out
}

export function generateProjectKey(): string {
  return PROJECT_KEY_PREFIX + randomBase62(RANDOM_CHARS)
}

/** SHA-256 of the key as hex: what the database stores and looks keys up by. node:crypto (the
 *  Worker has it through nodejs_compat) hashes in place, in microseconds; Web Crypto's digest is
 *  a job on another thread, which cost Node ~0.8 ms of the main thread per ingest request under
 *  load (measured with --cpu-prof). Async for its callers, which await it. */
export async function hashKey(key: string): Promise<string> {
  return createHash('sha256').update(key).digest('hex')
}

export function keyPrefix(key: string): string {
  return key.slice(0, KEY_PREFIX_LENGTH)
}

const PROJECT_KEY_SHAPE = /^tcrm_proj_[0-9A-Za-z]{16,64}$/
export function looksLikeProjectKey(key: string): boolean {
  return PROJECT_KEY_SHAPE.test(key)
}
