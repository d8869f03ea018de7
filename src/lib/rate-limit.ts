// One rate-limiter interface for both runtimes: Cloudflare's Rate Limiting binding on Workers, and an
// in-process fixed window on Node (one process owns the data, so in-process counts are the truth).
import { ApiError } from './errors.js'

export interface RateLimiter {
  /** Counts one hit for `key`; false when the key is over its limit for the current window. */
  limit(key: string): Promise<boolean>
  /** Seconds a refused client should wait (the Retry-After header). */
  readonly retryAfterSeconds: number
}

/** Counts one hit for `key` (an API key's hash, say); 429 with Retry-After once it is over the
 *  limiter's budget. Without a limiter, nothing is refused. */
export async function checkRateLimit(
  limiter: RateLimiter | undefined,
  key: string,
  message: string,
): Promise<void> {
  if (limiter && !(await limiter.limit(key))) {
    throw new ApiError('rate_limited', message, undefined, {
      'Retry-After': String(limiter.retryAfterSeconds),
    })
  }
}

/** Login attempts per email: 10 a minute (the same figures as LOGIN_LIMITER in wrangler.toml). */
export const LOGIN_RATE_LIMIT = { limit: 10, periodSeconds: 60 } as const

export function memoryRateLimiter(opts: { limit: number; periodSeconds: number }): RateLimiter {
  const periodMs = opts.periodSeconds * 1000
  let windowStart = 0
  let counts = new Map<string, number>()
  return {
    retryAfterSeconds: opts.periodSeconds,
    async limit(key) {
      const now = Date.now()
      if (now - windowStart >= periodMs) {
        // A new window forgets every key at once: memory stays bounded by one window's keys. It
        // starts with the request that opens it (not on the clock's multiple of the period), so a
        // burst is never split by a window boundary that happens to fall inside it.
        windowStart = now
        counts = new Map()
      }
      const n = (counts.get(key) ?? 0) + 1
      counts.set(key, n)
      return n <= opts.limit
    },
  }
}

/** The shape of a Workers `ratelimits` binding. */
export interface RateLimitBinding {
  limit(options: { key: string }): Promise<{ success: boolean }>
}

export function bindingRateLimiter(binding: RateLimitBinding, periodSeconds: number): RateLimiter {
  return {
    retryAfterSeconds: periodSeconds,
    async limit(key) {
      return (await binding.limit({ key })).success
    },
  }
}
