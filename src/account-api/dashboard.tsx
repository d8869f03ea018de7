// Settings → API tokens in the dashboard (signed in): list, create, revoke. Both posts answer 303
// (Post/Redirect/Get): a new token reaches the page once, as the redirect's flash, with the name
// it was given, and a refused name comes back the same way; a reload shows it no more and creates
// nothing.
import type { Context } from 'hono'
import { Hono } from 'hono/tiny'
import { requireUser, sessionUser } from '../middleware/session/index.js'
import { redirectRefused, redirectWithFlash } from '../middleware/flash/index.js'
import { refusalOf } from '../lib/flash.js'
import type { HonoEnv } from '../env.js'
import { ApiError } from '../lib/errors.js'
import { formFields, idParam } from '../lib/http.js'
import { renderPage } from '../lib/render.js'
import { TokensPage } from '../../views/tokens.js'
import { createAccountToken, listAccountTokens, revokeAccountToken } from './tokens.js'

type Ctx = Context<HonoEnv>
const user = sessionUser
const TOKENS = '/settings/tokens'

async function page(c: Ctx) {
  const tokens = await listAccountTokens(c.var.db, user(c).accountId)
  return renderPage(
    c,
    <TokensPage
      tokens={tokens}
      userEmail={user(c).email}
      csrfToken={c.var.csrfToken}
      newToken={c.var.flash?.secret}
      refused={refusalOf(c.var.flash, 'create')}
    />,
  )
}

export function tokenDashboardRoutes() {
  const app = new Hono<HonoEnv>()
  app.use('*', requireUser())
  app.get('/', (c) => page(c))
  app.post('/', async function createToken(c) {
    const name = (await formFields(c))('name') ?? ''
    try {
      const { accountId, userId } = user(c)
      const created = await createAccountToken(c.var.db, accountId, name, userId)
      return redirectWithFlash(c, TOKENS, {
        message: `Created the token “${created.name}”. Copy it now: it is shown only this once.`,
        secret: created.token,
      })
    } catch (err) {
      if (err instanceof ApiError && err.code === 'validation_failed')
        return redirectRefused(c, TOKENS, err.message, {
          form: 'create',
          field: 'name',
          draft: { name: name.slice(0, 200) },
        })
      throw err
    }
  })
  app.post('/:id{[0-9]+}/revoke', async function revokeToken(c) {
    const id = idParam(c, 'id', 'token')
    const token = (await listAccountTokens(c.var.db, user(c).accountId)).find((t) => t.id === id)
    if (!token || !(await revokeAccountToken(c.var.db, user(c).accountId, id)))
      throw new ApiError('not_found', 'No such token in your account')
    return redirectWithFlash(c, TOKENS, {
      message: `Revoked the token “${token.name}”: scripts using it get 403 from now on.`,
      tone: 'danger',
    })
  })
  return app
}
