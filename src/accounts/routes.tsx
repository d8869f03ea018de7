// Settings → Team (signed in): members, invite links, removing a member; and /invite/:token, where
// an invited person picks an email and a password and joins the account (signed in at once).
// Every post answers 303 (Post/Redirect/Get): a new link reaches the page once, as the flash, and
// so does why a removal or a join was refused.
import type { Context } from 'hono'
import { Hono } from 'hono/tiny'
import { requireUser, sessionUser, startSession } from '../middleware/session/index.js'
import { redirectRefused, redirectWithFlash } from '../middleware/flash/index.js'
import { refusalOf } from '../lib/flash.js'
import type { HonoEnv } from '../env.js'
import { ApiError } from '../lib/errors.js'
import { formFields, idParam } from '../lib/http.js'
import { publicBaseUrl } from '../lib/public-url.js'
import { renderPage } from '../lib/render.js'
import { AcceptInvitePage, TeamPage } from '../../views/team.js'
import {
  acceptInvite,
  createInvite,
  findInvite,
  listMembers,
  listPendingInvites,
  removeMember,
  revokeInvite,
} from './members.js'
import { MIN_PASSWORD_LENGTH } from './store.js'

type Ctx = Context<HonoEnv>
const TEAM = '/settings/team'

async function teamPage(c: Ctx) {
  const user = sessionUser(c)
  const [members, invites] = await Promise.all([
    listMembers(c.var.db, user.accountId),
    listPendingInvites(c.var.db, user.accountId),
  ])
  return renderPage(
    c,
    <TeamPage
      members={members}
      invites={invites}
      userId={user.userId}
      userEmail={user.email}
      csrfToken={c.var.csrfToken}
      newLink={c.var.flash?.secret}
      error={refusalOf(c.var.flash, 'remove')?.message}
    />,
  )
}

export function teamRoutes() {
  const app = new Hono<HonoEnv>()
  app.use('*', requireUser())
  app.get('/', (c) => teamPage(c))
  app.post('/invites', async function createInviteLink(c) {
    const user = sessionUser(c)
    const invite = await createInvite(c.var.db, user.accountId, user.userId)
    const day = invite.expiresAt.toISOString().slice(0, 10)
    return redirectWithFlash(c, TEAM, {
      message: `Created an invite link, valid once until ${day}. Copy it now: it is shown only this once.`,
      secret: `${publicBaseUrl(c, c.var.config.publicUrl)}/invite/${invite.token}`,
    })
  })
  app.post('/invites/:id{[0-9]+}/revoke', async function withdrawInvite(c) {
    const id = idParam(c, 'id', 'invite')
    if (!(await revokeInvite(c.var.db, sessionUser(c).accountId, id))) {
      throw new ApiError('not_found', 'No such pending invite in your account')
    }
    return redirectWithFlash(c, TEAM, {
      message: 'Withdrew the invite: its link no longer works.',
      tone: 'danger',
    })
  })
  app.post('/members/:id{[0-9]+}/remove', async function removeTeammate(c) {
    const user = sessionUser(c)
    const userId = idParam(c, 'id', 'member')
    const member = (await listMembers(c.var.db, user.accountId)).find((m) => m.id === userId)
    let ended: Awaited<ReturnType<typeof removeMember>>
    try {
      ended = await removeMember(c.var.db, {
        accountId: user.accountId,
        userId,
        actingUserId: user.userId,
      })
    } catch (err) {
      if (err instanceof ApiError && err.code === 'validation_failed')
        return redirectRefused(c, TEAM, err.message, { form: 'remove' })
      throw err
    }
    return redirectWithFlash(c, TEAM, {
      message:
        `Removed ${member?.email ?? 'the member'}: they are logged out and can no longer log in.` +
        endedNote(ended),
      tone: 'danger',
    })
  })
  return app
}

/** What else the removal ended, for its flash (" Revoked the 2 account tokens … they made."). */
function endedNote({
  tokensRevoked,
  invitesWithdrawn,
}: {
  tokensRevoked: number
  invitesWithdrawn: number
}) {
  const tokens = `the ${tokensRevoked} account token${tokensRevoked === 1 ? '' : 's'}`
  const links = `the ${invitesWithdrawn} invite link${invitesWithdrawn === 1 ? '' : 's'}`
  if (tokensRevoked && invitesWithdrawn)
    return ` Revoked ${tokens} and withdrew ${links} they made.`
  if (tokensRevoked) return ` Revoked ${tokens} they made.`
  if (invitesWithdrawn) return ` Withdrew ${links} they made.`
  return ''
}

export function inviteRoutes() {
  const app = new Hono<HonoEnv>()
  app.get('/:token', async function invitePage(c) {
    // The link is a secret: kept out of caches (the app's Referrer-Policy already keeps its path
    // out of the Referer sent to other sites).
    c.header('Cache-Control', 'no-store')
    const invite = await findInvite(c.var.db, c.req.param('token'))
    const page = (
      <AcceptInvitePage
        token={c.req.param('token')}
        accountName={invite?.account_name}
        csrfToken={c.var.csrfToken}
        minPassword={MIN_PASSWORD_LENGTH}
        refused={refusalOf(c.var.flash, 'join')}
      />
    )
    return renderPage(c, page, invite ? 200 : 404)
  })
  app.post('/:token', async function joinTeam(c) {
    c.header('Cache-Control', 'no-store')
    const token = c.req.param('token')
    const field = await formFields(c)
    const email = (field('email') ?? '').trim()
    try {
      const { userId } = await acceptInvite(c.var.db, token, {
        email,
        password: field('password') ?? '',
      })
      await startSession(c, userId)
      return c.redirect('/customers', 303)
    } catch (err) {
      // Refused, back to the link's page (303): a link used, withdrawn or expired meanwhile says
      // so there; a bad email or password is said at its field, the email typed kept (never the
      // password), so Back and reload never send the form again.
      if (!(err instanceof ApiError)) throw err
      const link = `/invite/${encodeURIComponent(token)}`
      if (err.code === 'not_found') return c.redirect(link, 303)
      if (err.code !== 'validation_failed') throw err
      return redirectRefused(c, link, err.message, {
        form: 'join',
        field: err.details?.some((d) => d.path === 'password') ? 'password' : 'email',
        draft: { email: (field('email') ?? '').slice(0, 400) },
      })
    }
  })
  return app
}
