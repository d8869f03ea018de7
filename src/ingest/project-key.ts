// The ingest API's authentication: the project key, as `Authorization: Bearer tcrm_proj_…` or as
// Segment's libraries send their write key, HTTP Basic with the key as the user name and no
// password (`writeKey` in the body is the Segment routes' own: src/segment/routes.ts). Only the
// key's shape is checked here; whether it exists and is not revoked is checked by the ingest
// statement itself (one statement per request), which finds the key by its SHA-256, as
// projectKeyHash gives it.
import type { Context } from 'hono'
import { ApiError } from '../lib/errors.js'
import { bearerToken } from '../lib/http.js'
import { ACCOUNT_TOKEN_PREFIX, hashKey, looksLikeProjectKey } from '../lib/keys.js'
import { checkRateLimit, type RateLimiter } from '../lib/rate-limit.js'

/** The user name of `Authorization: Basic base64(user:password)`, or undefined. */
function basicUser(c: Context): string | undefined {
  const encoded = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(c.req.header('Authorization') ?? '')?.[1]
  if (!encoded) return undefined
  let decoded: string
  try {
    decoded = atob(encoded)
  } catch {
    return undefined
  }
  const user = decoded.split(':')[0]
  return user || undefined
}

/** The SHA-256 of the request's project key (Bearer, Basic, else `writeKey` from the body); 401
 *  when there is none or it is not shaped like a project key. */
export async function projectKeyHash(c: Context, writeKey?: unknown): Promise<string> {
  const key = bearerToken(c) ?? basicUser(c) ?? (typeof writeKey === 'string' ? writeKey : '')
  if (!key) {
    throw new ApiError(
      'unauthorized',
      'Missing API key: send Authorization: Bearer tcrm_proj_… (or Basic, the key as user name)',
    )
  }
  if (!looksLikeProjectKey(key)) {
    throw new ApiError(
      'unauthorized',
      key.startsWith(ACCOUNT_TOKEN_PREFIX)
        ? 'This is an account token (for /v1/customers and the other account API routes); ' +
            'identify, ping and batch take a project key (tcrm_proj_…)'
        : 'Unknown API key: not shaped like a project key (tcrm_proj_ then letters and digits)',
    )
  }
  return hashKey(key)
}

/** projectKeyHash, the call then counted against its key's budget: 429 past it. Every ingest
 *  call, TinyCRM's and Segment's, takes its key this way. */
export async function limitedKeyHash(
  c: Context,
  limiter: RateLimiter | undefined,
  writeKey?: unknown,
): Promise<string> {
  const keyHash = await projectKeyHash(c, writeKey)
  await checkRateLimit(limiter, keyHash, 'Too many requests for this API key; retry later')
  return keyHash
}
