// "Connect Stripe / Connect Paddle" on a project's page: the URL shown after connecting (with the
// events to select), a secret pasted later or replaced, the waiting-events count, disconnect, and
// the usual guards (CSRF, another account's project, three statements a page).
import Stripe from 'stripe'
import { describe, expect, it } from 'vitest'
import { useTestApp } from '../../test/support/db.js'
import { logInSeeded } from '../../test/support/fixtures.js'
import { decodeFlash } from '../lib/flash.js'

const stripe = new Stripe('sk_test_not_used')
const SECRET = 'whsec_dashboard_ABCDEFGHIJKLMNOP'

const t = useTestApp({ config: { publicUrl: 'https://crm.example.com' } })

async function signedIn() {
  const { b, seeded } = await logInSeeded(t)
  const id = seeded.projects[0]!.project.id
  await b.get(`/projects/${id}`) // the page's CSRF token, as a browser has it
  return { b, seeded, id }
}

async function sendStripe(url: string, type: string, object: object, secret = SECRET) {
  const payload = JSON.stringify({
    id: `evt_${Math.random()}`,
    created: 1_790_000_000,
    type,
    data: { object },
  })
  const res = await t.app.request(new URL(url).pathname, {
    method: 'POST',
    headers: {
      'Content-Type': 'application/json',
      'Stripe-Signature': stripe.webhooks.generateTestHeaderString({ payload, secret }),
    },
    body: payload,
  })
  return { status: res.status, body: (await res.json()) as any }
}

/** The flash cookie a response sets, decoded (its signature aside). */
function flashOf(headers: Headers) {
  const value = /tcrm_flash=([^;]+)/.exec(headers.get('Set-Cookie') ?? '')![1]!
  const found = decodeFlash(decodeURIComponent(value).split('.')[0]!)
  expect(found).toBeDefined()
  return JSON.stringify(found)
}

const webhookUrls = (html: string) =>
  html.match(/https:\/\/crm\.example\.com\/v1\/billing\/webhooks\/bill_[0-9A-Za-z]{24}/g) ?? []

describe('connecting on the project page', () => {
  it('shows the URL and the events to select after connecting, and never the secret', async () => {
    const { b, id } = await signedIn()
    const page = await b.get(`/projects/${id}`)
    expect(page.html).toContain('Connect Stripe')
    expect(page.html).toContain('Connect Paddle')
    expect(page.html).toContain('No events waiting for an email.')
    const res = await b.post(`/projects/${id}/billing`, {
      provider: 'stripe',
      signingSecret: SECRET,
    })
    expect(res.status).toBe(303)
    expect(res.location).toMatch(new RegExp(`^/projects/${id}\\?connected=bill_\\w{24}#billing$`))
    const shown = await b.get(res.location!)
    const url = /data-testid="webhook-url">([^<]+)</.exec(shown.html)?.[1]
    expect(url).toMatch(/^https:\/\/crm\.example\.com\/v1\/billing\/webhooks\/bill_\w{24}$/)
    expect(shown.html).toContain('<code>invoice.payment_failed</code>')
    expect(shown.html).toContain('never shown again')
    expect(shown.html).not.toContain(SECRET)
    // Without ?connected the page lists the connection, with no reveal.
    const later = await b.get(`/projects/${id}`)
    expect(later.html).not.toContain('data-testid="webhook-url"')
    expect(webhookUrls(later.html)).toEqual([url])
    expect(later.html).not.toContain(SECRET)
    // The connection works.
    const hook = await sendStripe(url!, 'customer.created', { id: 'cus_1', email: 'a@example.com' })
    expect(hook.status).toBe(200)
  })

  it('connects first and takes the secret after (the providers show it only then), or replaces it', async () => {
    const { b, id } = await signedIn()
    const res = await b.post(`/projects/${id}/billing`, { provider: 'stripe', signingSecret: '' })
    const shown = await b.get(res.location!)
    expect(shown.html).toContain('Then paste the signing secret Stripe shows')
    expect(shown.html).toContain('No signing secret yet: paste it')
    const url = webhookUrls(shown.html)[0]!
    const refused = await sendStripe(url, 'customer.created', {
      id: 'cus_1',
      email: 'a@example.com',
    })
    expect(refused.status).toBe(400)
    expect(refused.body.error.message).toMatch(/no signing secret yet/)

    const connection = url.split('/').pop()!
    const saved = await b.post(`/projects/${id}/billing/${connection}/secret`, {
      signingSecret: SECRET,
    })
    expect(saved).toMatchObject({ status: 303, location: `/projects/${id}#billing` })
    const ok = await sendStripe(url, 'customer.created', { id: 'cus_1', email: 'a@example.com' })
    expect(ok.status).toBe(200)
    expect((await b.get(`/projects/${id}`)).html).toContain('Replace the signing secret')

    // Rolled in Stripe: the new secret replaces the old one.
    const rolled = 'whsec_rolled_ABCDEFGHIJKLMNOP'
    await b.get(`/projects/${id}`)
    await b.post(`/projects/${id}/billing/${connection}/secret`, { signingSecret: rolled })
    expect(
      (await sendStripe(url, 'customer.updated', { id: 'cus_1', email: 'a@example.com' })).status,
    ).toBe(400)
    expect(
      (await sendStripe(url, 'customer.updated', { id: 'cus_1', email: 'a@example.com' }, rolled))
        .status,
    ).toBe(200)
  })

  it('lists the products a connection applies, changes them, and refuses a price id', async () => {
    const { b, id } = await signedIn()
    await b.post(`/projects/${id}/billing`, { provider: 'stripe', products: 'prod_Alpha1' })
    const page = await b.get(`/projects/${id}`)
    expect(page.html).toContain('<code>prod_Alpha1</code>')
    const connection = /\/billing\/(bill_\w{24})\/products/.exec(page.html)![1]
    const changed = await b.post(`/projects/${id}/billing/${connection}/products`, {
      products: ' prod_Alpha1, prod_Beta2 ',
    })
    expect(changed.status).toBe(303)
    const shown = (await b.get(changed.location!)).html
    expect(shown).toContain('<code>prod_Alpha1</code>, <code>prod_Beta2</code>')
    // Refused: 303 back to the project's page (reload and Back post nothing), which says why at
    // that connection's products field, unfolded, holding what was typed.
    const refused = await b.post(`/projects/${id}/billing/${connection}/products`, {
      products: 'prod_Alpha1, price_1Abc',
    })
    expect(refused).toMatchObject({ status: 303, location: `/projects/${id}` })
    const why = (await b.follow(refused)).html
    expect(why).toContain(
      `id="products-error-${connection}">products: &quot;price_1Abc&quot; is a Stripe price id`,
    )
    expect(why).toMatch(
      new RegExp(
        `value="prod_Alpha1, price_1Abc"[^>]*aria-invalid="true" aria-describedby="products-error-${connection} products-hint-${connection}"`,
      ),
    )
    expect(why).toContain('<details open><summary class="small">Change products…</summary>')
    expect((await b.get(`/projects/${id}`)).html).toContain('<code>prod_Beta2</code>')
    const cleared = await b.post(`/projects/${id}/billing/${connection}/products`, { products: '' })
    expect(cleared.status).toBe(303)
    const after = (await b.get(cleared.location!)).html
    expect(after).toContain('Every product of the account')
    expect(after).not.toContain('<code>prod_Beta2</code>')
  })

  it('refuses an API key pasted as the secret, saying why at the field, never keeping the key', async () => {
    const { b, id } = await signedIn()
    const key = 'sk_live_' + 'a'.repeat(30)
    const res = await b.post(`/projects/${id}/billing`, {
      provider: 'stripe',
      signingSecret: key,
      products: 'prod_Alpha1',
    })
    expect(res).toMatchObject({ status: 303, location: `/projects/${id}` })
    // Which field and why ride the flash cookie; the key itself neither there nor on the page.
    expect(flashOf(res.headers)).not.toContain('sk_live_')
    const page = (await b.follow(res)).html
    expect(page).toContain('id="connect-error">signingSecret is a Stripe API key')
    expect(page).toMatch(
      /name="signingSecret"[^>]*aria-invalid="true" aria-describedby="connect-error billing-where"/,
    )
    expect(page).toContain('value="prod_Alpha1"') // the products typed, kept
    expect(page).not.toContain('sk_live_')
    expect(webhookUrls(page)).toEqual([])

    // Replacing a connection's secret with a key is refused the same way, at that form.
    const made = await b.post(`/projects/${id}/billing`, {
      provider: 'stripe',
      signingSecret: SECRET,
    })
    const connection = /connected=(bill_\w{24})/.exec(made.location!)![1]!
    await b.follow(made)
    const replaced = await b.post(`/projects/${id}/billing/${connection}/secret`, {
      signingSecret: key,
    })
    expect(replaced).toMatchObject({ status: 303, location: `/projects/${id}` })
    expect(flashOf(replaced.headers)).not.toContain('sk_live_')
    const again = (await b.follow(replaced)).html
    expect(again).toContain(`id="secret-error-${connection}">signingSecret is a Stripe API key`)
    expect(again).toContain('<details open><summary class="small">Replace secret…</summary>')
    expect(again).not.toContain('sk_live_')
  })

  it('never says back a key pasted among the product ids, in the page or the flash', async () => {
    const { b, id } = await signedIn()
    const res = await b.post(`/projects/${id}/billing`, {
      provider: 'stripe',
      products: `prod_Alpha1 whsec_${'b'.repeat(30)}`,
    })
    expect(res).toMatchObject({ status: 303, location: `/projects/${id}` })
    expect(flashOf(res.headers)).not.toContain('bbbbbbbb')
    const page = (await b.follow(res)).html
    expect(page).toContain('products: &quot;whsec_…&quot; is a Stripe key or secret')
    expect(page).toContain('value="prod_Alpha1"')
    expect(page).not.toContain('bbbbbbbb')
  })

  it('counts events waiting for an email, and disconnects', async () => {
    const { b, id } = await signedIn()
    const res = await b.post(`/projects/${id}/billing`, {
      provider: 'stripe',
      signingSecret: SECRET,
    })
    const url = webhookUrls((await b.get(res.location!)).html)[0]!
    const sub = {
      id: 'sub_1',
      object: 'subscription',
      customer: 'cus_9',
      status: 'trialing',
      items: { data: [] },
    }
    await sendStripe(url, 'customer.subscription.created', sub)
    await sendStripe(url, 'customer.subscription.updated', { ...sub, status: 'active' })
    const page = await b.get(`/projects/${id}`)
    expect(page.html).toMatch(/2 events waiting for an email/)
    expect(page.html).toMatch(/2 events/)

    const connection = url.split('/').pop()!
    const gone = await b.post(`/projects/${id}/billing/${connection}/delete`)
    expect(gone).toMatchObject({ status: 303, location: `/projects/${id}#billing` })
    expect(webhookUrls((await b.get(`/projects/${id}`)).html)).toEqual([])
    expect(
      (await sendStripe(url, 'customer.created', { id: 'cus_9', email: 'x@example.com' })).status,
    ).toBe(404)
  })

  it('needs the CSRF token, shows another account nothing, and sends at most three statements', async () => {
    const { b, id } = await signedIn()
    const other = await signedIn()
    await b.get(`/projects/${id}`)
    const noToken = await b.post(`/projects/${id}/billing`, { provider: 'stripe', _csrf: null })
    expect(noToken.status).toBe(403)
    expect((await b.post(`/projects/${other.id}/billing`, { provider: 'stripe' })).status).toBe(404)
    const theirs = await other.b.post(`/projects/${other.id}/billing`, { provider: 'paddle' })
    const theirId = /connected=(bill_\w+)/.exec(theirs.location!)![1]
    await b.get(`/projects/${id}`)
    expect((await b.post(`/projects/${id}/billing/${theirId}/delete`)).status).toBe(404)
    expect(
      (await b.post(`/projects/${id}/billing/${theirId}/secret`, { signingSecret: SECRET })).status,
    ).toBe(404)

    t.statements.length = 0
    const connect = await b.post(`/projects/${id}/billing`, {
      provider: 'stripe',
      signingSecret: SECRET,
    })
    expect(t.statements.length).toBeLessThanOrEqual(3)
    t.statements.length = 0
    expect((await b.get(connect.location!)).status).toBe(200)
    expect(t.statements.length).toBeLessThanOrEqual(3)
  })
})
