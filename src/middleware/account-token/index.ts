// The account API's authentication: `Authorization: Bearer tcrm_acct_…`, checked against the
// database (one statement, src/account-api/tokens.ts). Sets the account it opens and the actor the
// audit log names. Project keys are refused with 403: they are write-only and may live in a browser.
import type { MiddlewareHandler } from 'hono'
import { authenticateAccountToken, looksLikeAccountToken } from '../../account-api/tokens.js'
import type { HonoEnv } from '../../env.js'
import { ApiError } from '../../lib/errors.js'
import { bearerToken } from '../../lib/http.js'
import { looksLikeProjectKey } from '../../lib/keys.js'

export type AccountTokenEnv = HonoEnv & { Variables: { accountId: number; actor: string } }

export const PROJECT_KEY_REFUSED =
  'project keys can only write (identify, ping, batch); use an account token to read'

export function accountToken(): MiddlewareHandler<AccountTokenEnv> {
  return async function accountToken(c, next) {
    const token = bearerToken(c)
    if (!token) {
      throw new ApiError(
        'unauthorized',
        'Missing account token: send Authorization: Bearer tcrm_acct_…',
      )
    }
    if (looksLikeProjectKey(token)) throw new ApiError('forbidden', PROJECT_KEY_REFUSED)
    if (!looksLikeAccountToken(token)) {
      // Right for a token cut short when copied as for one that is no account token at all.
      throw new ApiError(
        'unauthorized',
        'Unknown account token: tcrm_acct_ and 32 letters or digits',
      )
    }
    const auth = await authenticateAccountToken(c.var.db, token)
    if (!auth) throw new ApiError('unauthorized', 'Unknown account token')
    if (auth === 'revoked') throw new ApiError('forbidden', 'This account token has been revoked')
    c.set('accountId', auth.accountId)
    c.set('actor', `token:${auth.tokenId}`)
    await next()
  }
}
