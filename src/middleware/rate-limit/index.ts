// Refuses a request once its key (an API key's hash, say) is over the limiter's budget: 429 with
// Retry-After. The limiter is the one RateLimiter interface (src/lib/rate-limit.ts): in-process on
// Node, Cloudflare's binding on Workers. Without a limiter this middleware lets everything through.
import type { Context, Env, MiddlewareHandler } from 'hono'
import { ApiError } from '../../lib/errors.js'
import type { RateLimiter } from '../../lib/rate-limit.js'

/** Counts one hit for `key`; 429 with Retry-After when it is over the limiter's budget. */
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

export function rateLimit<E extends Env>(
  limiter: RateLimiter | undefined,
  opts: { key: (c: Context<E>) => string; message: string },
): MiddlewareHandler<E> {
  return async function rateLimit(c, next) {
    await checkRateLimit(limiter, opts.key(c), opts.message)
    await next()
  }
}
