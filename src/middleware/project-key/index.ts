// The ingest API's authentication: `Authorization: Bearer tcrm_proj_…`. Only the key's shape is
// checked here; whether it exists and is not revoked is checked by the ingest statement itself
// (one statement per request), which finds the key by its SHA-256, set here as `c.var.keyHash`.
import type { MiddlewareHandler } from 'hono'
import type { HonoEnv } from '../../env.js'
import { ApiError } from '../../lib/errors.js'
import { bearerToken } from '../../lib/http.js'
import { hashKey, looksLikeProjectKey } from '../../lib/keys.js'

export type ProjectKeyEnv = HonoEnv & { Variables: { keyHash: string } }

export function projectKey(): MiddlewareHandler<ProjectKeyEnv> {
  return async function projectKey(c, next) {
    const key = bearerToken(c)
    if (!key) {
      throw new ApiError('unauthorized', 'Missing API key: send Authorization: Bearer tcrm_proj_…')
    }
    if (!looksLikeProjectKey(key)) {
      throw new ApiError('unauthorized', 'Unknown API key: project keys start with tcrm_proj_')
    }
    c.set('keyHash', await hashKey(key))
    await next()
  }
}
