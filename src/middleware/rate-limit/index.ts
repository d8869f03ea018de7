// Refuses a request once its key (an API key's hash, say) is over the limiter's budget: 429 with
// Retry-After. The limiter is the one RateLimiter interface (src/lib/rate-limit.ts): in-process on
// Node, Cloudflare's binding on Workers. Without a limiter this middleware lets everything through.
import type { Context, Env, MiddlewareHandler } from 'hono'
import { ApiError } from '../../lib/errors.js'
import type { RateLimiter } from '../../lib/rate-limit.js'

export function rateLimit<E extends Env>(
  limiter: RateLimiter | undefined,
  opts: { key: (c: Context<E>) => string; message: string },
): MiddlewareHandler<E> {
  return async function rateLimit(c, next) {
    if (limiter && !(await limiter.limit(opts.key(c)))) {
      throw new ApiError('rate_limited', opts.message, undefined, {
        'Retry-After': String(limiter.retryAfterSeconds),
      })
    }
    await next()
  }
}
