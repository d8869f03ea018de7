// API keys: `tcrm_proj_` + 32 random base62 characters (~190 bits). Only their SHA-256 is stored;
// a fast hash is right for keys this random (nothing to brute-force), and it lets the ingest
// statement find a key by equality on a unique index.
const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz'
export const PROJECT_KEY_PREFIX = 'tcrm_proj_'
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

export async function hashKey(key: string): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(key))
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, '0')).join('')
}

export function keyPrefix(key: string): string {
  return key.slice(0, KEY_PREFIX_LENGTH)
}

const PROJECT_KEY_SHAPE = /^tcrm_proj_[0-9A-Za-z]{16,64}$/
export function looksLikeProjectKey(key: string): boolean {
  return PROJECT_KEY_SHAPE.test(key)
}
