// Settings → API tokens in the dashboard (signed in): list, create (the token shown once), revoke.
import { Hono, type Context } from 'hono'
import { requireUser, sessionUser } from '../middleware/session/index.js'
import type { HonoEnv } from '../env.js'
import { ApiError } from '../lib/errors.js'
import { formFields, idParam } from '../lib/http.js'
import { renderPage } from '../lib/render.js'
import { TokensPage } from '../../views/tokens.js'
import { createAccountToken, listAccountTokens, revokeAccountToken } from './tokens.js'

type Ctx = Context<HonoEnv>
const user = sessionUser

async function page(
  c: Ctx,
  extra: { created?: { name: string; token: string }; error?: string } = {},
  status: 200 | 400 = 200,
) {
  const tokens = await listAccountTokens(c.var.db, user(c).accountId)
  return renderPage(
    c,
    <TokensPage tokens={tokens} userEmail={user(c).email} csrfToken={c.var.csrfToken} {...extra} />,
    status,
  )
}

export function tokenDashboardRoutes() {
  const app = new Hono<HonoEnv>()
  app.use('*', requireUser())
  app.get('/', (c) => page(c))
  app.post('/', async function createToken(c) {
    const name = (await formFields(c))('name') ?? ''
    try {
      const created = await createAccountToken(c.var.db, user(c).accountId, name)
      c.header('Cache-Control', 'no-store')
      return page(c, { created: { name: created.name, token: created.token } })
    } catch (err) {
      if (err instanceof ApiError && err.code === 'validation_failed')
        return page(c, { error: err.message }, 400)
      throw err
    }
  })
  app.post('/:id{[0-9]+}/revoke', async function revokeToken(c) {
    const ok = await revokeAccountToken(c.var.db, user(c).accountId, idParam(c, 'id', 'token'))
    if (!ok) throw new ApiError('not_found', 'No such token in your account')
    return c.redirect('/settings/tokens', 303)
  })
  return app
}
