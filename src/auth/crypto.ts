// Small Web Crypto helpers shared by sessions and CSRF (the same code on Node and Workers).
// SHA-256 hex is the one in lib/keys.ts (API keys are hashed the same way).
export { hashKey as sha256Hex } from '../lib/keys.js'

/** Compares two strings without an early exit, so timing says nothing about where they differ. */
export function timingSafeEqual(a: string, b: string): boolean {
  if (a.length !== b.length) return false
  let diff = 0
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i)
  return diff === 0
}
