// A teammate, through the real dashboard routes over PGlite: the owner makes a one-time invite
// link, the teammate opens it, picks an email and a password and lands in the same account; the
// link then stops working. Members are listed and removed (their sessions end); nobody removes
// themselves. src/accounts/members.pg.test.ts races the same writes on a real PostgreSQL.
import { describe, expect, it } from 'vitest'
import { useTestApp } from '../../test/support/db.js'
import { TestBrowser } from '../../test/support/test-browser.js'

const t = useTestApp({ config: { publicUrl: 'https://crm.example.com' } })
let n = 0
const email = () => `team${++n}-${Date.now()}@example.com`

/** The owner, signed up and on the Team page, makes a link; returns its path. */
async function inviteLink(owner: TestBrowser) {
  await owner.get('/settings/team')
  const made = await owner.post('/settings/team/invites')
  expect(made).toMatchObject({ status: 303, location: '/settings/team' })
  const shown = await owner.follow(made)
  expect(shown.headers.get('cache-control')).toBe('no-store')
  const url = /data-testid="invite-link">([^<]+)</.exec(shown.html)![1]!
  // Shown once: a reload has no link.
  expect((await owner.get('/settings/team')).html).not.toContain('data-testid="invite-link"')
  expect(url).toMatch(/^https:\/\/crm\.example\.com\/invite\/tcrm_inv_[0-9A-Za-z]{32}$/)
  return new URL(url).pathname
}

describe('inviting a teammate', () => {
  it('joins the account by the link, once; both see the same customers and each other', async () => {
    const owner = new TestBrowser(t.app)
    const ownerEmail = email()
    await owner.signUp(ownerEmail)
    const link = await inviteLink(owner)
    expect((await owner.get('/settings/team')).html).toContain('Pending invites')

    const mate = new TestBrowser(t.app)
    const page = await mate.get(link)
    expect(page.status).toBe(200)
    expect(page.headers.get('cache-control')).toBe('no-store')
    expect(page.headers.get('referrer-policy')).toBe('strict-origin-when-cross-origin')
    expect(page.html).toContain(`Join ${ownerEmail} on TinyCRM`)
    const mateEmail = email()
    const joined = await mate.post(link, {
      email: mateEmail.toUpperCase(),
      password: 'teammate pw 1',
    })
    expect(joined).toMatchObject({ status: 303, location: '/customers' })
    expect((await mate.get('/customers')).status).toBe(200)

    const team = await mate.get('/settings/team')
    expect(team.html).toContain(ownerEmail)
    expect(team.html).toContain(mateEmail)
    expect(team.html).not.toContain('Pending invites')
    const accounts = await t.db
      .selectFrom('users')
      .select('account_id')
      .where('email', 'in', [ownerEmail, mateEmail])
      .execute()
    expect(new Set(accounts.map((a) => a.account_id)).size).toBe(1)

    // Used: the link now says so, and a second person cannot use it.
    const again = new TestBrowser(t.app)
    expect((await again.get(link)).status).toBe(404)
    await again.get('/login') // the used link's page has no form: a CSRF token from elsewhere
    const reuse = await again.post(link, { email: email(), password: 'another password' })
    expect(reuse).toMatchObject({ status: 303, location: link })
    const refused = await again.follow(reuse)
    expect(refused.status).toBe(404)
    expect(refused.html).toContain('This invite link is not valid')
    // The teammate logs in later with what they chose.
    expect((await new TestBrowser(t.app).logIn(mateEmail, 'teammate pw 1')).location).toBe(
      '/customers',
    )
  })

  it('refused, redirects to the link, which names the bad field and keeps the email typed (never the password); the link stays usable', async () => {
    const owner = new TestBrowser(t.app)
    const ownerEmail = email()
    await owner.signUp(ownerEmail)
    const link = await inviteLink(owner)
    const mate = new TestBrowser(t.app)
    await mate.get(link)
    const long = `${'a'.repeat(250)}@x.io`
    const fresh = email()
    const cases: [Record<string, string>, string, string][] = [
      [{ email: 'nope', password: 'long enough' }, 'email', 'email is not a valid email address'],
      [{ email: long, password: 'long enough' }, 'email', 'email is too long'],
      [{ email: fresh, password: 'short' }, 'password', 'password must be at least 8 characters'],
      [
        { email: ` ${ownerEmail} `, password: 'long enough' },
        'email',
        `${ownerEmail} already has a TinyCRM login`,
      ],
    ]
    for (const [fields, field, message] of cases) {
      const r = await mate.post(link, fields)
      expect(r, message).toMatchObject({ status: 303, location: link })
      const page = await mate.follow(r)
      expect(page.status, message).toBe(200)
      expect(page.headers.get('cache-control')).toBe('no-store')
      expect(page.html).toContain(`id="invite-error">${message}`)
      const input = (name: string) =>
        new RegExp(`<input[^>]*name="${name}"[^>]*>`).exec(page.html)![0]
      expect(input('email')).toContain(`value="${fields.email}"`)
      expect(input('password')).not.toContain('value=')
      expect(page.html).not.toContain(fields.password)
      expect(input(field)).toContain('aria-invalid="true"')
      expect(input(field)).toMatch(/aria-describedby="invite-error( password-hint)?"/)
      const other = field === 'email' ? 'password' : 'email'
      expect(input(other)).not.toContain('aria-invalid')
      // Shown once: a reload is the plain form again.
      expect((await mate.get(link)).html).not.toContain('invite-error')
    }
    expect((await mate.post(link, { email: email(), password: 'long enough' })).status).toBe(303)
  })

  it('withdraws a pending link, and refuses made-up ones', async () => {
    const owner = new TestBrowser(t.app)
    await owner.signUp(email())
    const link = await inviteLink(owner)
    const id = /\/settings\/team\/invites\/(\d+)\/revoke/.exec(
      (await owner.get('/settings/team')).html,
    )![1]
    expect((await owner.post(`/settings/team/invites/${id}/revoke`)).status).toBe(303)
    expect((await new TestBrowser(t.app).get(link)).status).toBe(404)
    expect((await new TestBrowser(t.app).get('/invite/tcrm_inv_nope')).status).toBe(404)
    // Another account cannot withdraw (or see) this account's invites.
    const stranger = new TestBrowser(t.app)
    await stranger.signUp(email())
    await stranger.get('/settings/team')
    expect((await stranger.post(`/settings/team/invites/${id}/revoke`)).status).toBe(404)
  })

  it('needs a session for the Team page', async () => {
    const r = await new TestBrowser(t.app).get('/settings/team')
    expect(r.status).toBe(303)
    expect(r.location).toMatch(/^\/login/)
  })
})

describe('removing a member', () => {
  it('removes a teammate (their session ends), never yourself nor another account’s user', async () => {
    const owner = new TestBrowser(t.app)
    const ownerEmail = email()
    await owner.signUp(ownerEmail)
    const link = await inviteLink(owner)
    const mate = new TestBrowser(t.app)
    await mate.get(link)
    const mateEmail = email()
    await mate.post(link, { email: mateEmail, password: 'teammate pw 1' })
    const ids = Object.fromEntries(
      (
        await t.db
          .selectFrom('users')
          .select(['id', 'email'])
          .where('email', 'in', [ownerEmail, mateEmail])
          .execute()
      ).map((u) => [u.email, u.id]),
    )

    const stranger = new TestBrowser(t.app)
    await stranger.signUp(email())
    await stranger.get('/settings/team')
    expect((await stranger.post(`/settings/team/members/${ids[mateEmail]}/remove`)).status).toBe(
      404,
    )

    await mate.get('/settings/team')
    const self = await mate.post(`/settings/team/members/${ids[mateEmail]}/remove`)
    expect(self).toMatchObject({ status: 303, location: '/settings/team' })
    const why = await mate.follow(self)
    expect(why.status).toBe(200)
    expect(why.html).toMatch(/role="alert">You cannot remove yourself from the account/)

    await owner.get('/settings/team')
    expect((await owner.post(`/settings/team/members/${ids[mateEmail]}/remove`)).status).toBe(303)
    expect((await mate.get('/customers')).status).toBe(303) // signed out: back to log in
    expect((await owner.get('/settings/team')).html).toContain(
      `Removed ${mateEmail}: they are logged out and can no longer log in.`,
    )
    expect((await owner.get('/settings/team')).html).not.toContain(mateEmail) // the flash is gone
  })
  it('ends what the removed member made: their account tokens are revoked, their links withdrawn', async () => {
    const alice = new TestBrowser(t.app)
    await alice.signUp(email())
    const carol = new TestBrowser(t.app)
    const carolEmail = email()
    const aliceLink = await inviteLink(alice)
    await carol.get(aliceLink)
    await carol.post(aliceLink, { email: carolEmail, password: 'teammate pw 1' })
    await carol.get('/settings/tokens')
    const made = await carol.follow(await carol.post('/settings/tokens', { name: 'carol script' }))
    const token = /data-testid="new-token">([^<]+)</.exec(made.html)![1]!
    const carolsLink = await inviteLink(carol)
    const bearer = { headers: { Authorization: `Bearer ${token}` } }
    expect((await t.app.request('/v1/customers', bearer)).status).toBe(200)

    const carolId = (
      await t.db
        .selectFrom('users')
        .select('id')
        .where('email', '=', carolEmail)
        .executeTakeFirstOrThrow()
    ).id
    await alice.get('/settings/team')
    const removed = await alice.post(`/settings/team/members/${carolId}/remove`)
    expect(removed.status).toBe(303)
    expect((await alice.follow(removed)).html).toContain(
      `Removed ${carolEmail}: they are logged out and can no longer log in. ` +
        'Revoked the 1 account token and withdrew the 1 invite link they made.',
    )

    const refused = await t.app.request('/v1/customers', bearer)
    expect(refused.status).toBe(403)
    expect(await refused.text()).toMatch(/revoked/)
    expect((await new TestBrowser(t.app).get(carolsLink)).status).toBe(404)
    // Alice sees the token, revoked, and who made it.
    const row = /<tr>(?:(?!<\/tr>).)*carol script(?:(?!<\/tr>).)*<\/tr>/s.exec(
      (await alice.get('/settings/tokens')).html,
    )![0]
    expect(row).toContain(carolEmail)
    expect(row).toContain('Revoked')
  })
})
