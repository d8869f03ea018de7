// In Chromium against the real server: connect Stripe on a project's page the way the providers
// make people do it (the URL first, the signing secret after), send a signed event to the URL,
// and see the customer's status and the connection's event count.
import Stripe from 'stripe'
import { expect, it } from 'vitest'
import { createProject, newPage, screenshot, signUp, useLiveApp } from './harness.js'

const live = useLiveApp()
const stripe = new Stripe('sk_test_not_used')
const SECRET = 'whsec_browser_ABCDEFGHIJKLMNOP'

async function sendStripe(url: string, type: string, object: object) {
  const payload = JSON.stringify({
    id: `evt_${type}`,
    created: 1_790_000_000,
    type,
    data: { object },
  })
  const res = await fetch(url, {
    method: 'POST',
    headers: {
      'Content-Type': 'application/json',
      'Stripe-Signature': stripe.webhooks.generateTestHeaderString({ payload, secret: SECRET }),
    },
    body: payload,
  })
  return res.status
}

it('connects Stripe, takes the secret after the URL, and shows what arrived', async () => {
  const { page, problems } = await newPage(live.browser)
  const base = live.server.url
  await signUp(page, base, 'billing@example.com')
  await createProject(page, base, 'Paid App')
  await expect(page.getByRole('heading', { name: /Billing/ }).isVisible()).resolves.toBe(true)

  // Connect first: Stripe shows its signing secret only once the URL is in it.
  await page.getByRole('button', { name: 'Connect Stripe' }).click()
  const url = (await page.getByTestId('webhook-url').textContent())!.trim()
  expect(url).toMatch(new RegExp(`^${base}/v1/billing/webhooks/bill_\\w{24}$`))
  await expect(
    page.getByText('Then paste the signing secret Stripe shows').isVisible(),
  ).resolves.toBe(true)
  await screenshot(page, 'billing-01-connected')
  expect(
    await sendStripe(url, 'customer.created', { id: 'cus_1', email: 'alex@example.com' }),
  ).toBe(400)

  await page.getByLabel('No signing secret yet: paste it').fill(SECRET)
  await page.getByRole('button', { name: 'Save secret' }).click()
  await page.waitForURL(/\/projects\/\d+#billing$/)
  expect(
    await sendStripe(url, 'customer.created', { id: 'cus_1', email: 'alex@example.com' }),
  ).toBe(200)
  const subscription = {
    id: 'sub_1',
    customer: 'cus_1',
    currency: 'usd',
    status: 'trialing',
    items: {
      data: [
        { quantity: 1, price: { id: 'p', unit_amount: 2900, recurring: { interval: 'month' } } },
      ],
    },
  }
  expect(await sendStripe(url, 'customer.subscription.created', subscription)).toBe(200)

  await page.reload()
  await expect(page.getByText('2 events').first().isVisible()).resolves.toBe(true)
  await expect(page.getByTestId('waiting-events').textContent()).resolves.toContain(
    'No events waiting',
  )
  await screenshot(page, 'billing-02-events')
  await page.goto(base + '/customers')
  await expect(page.getByText('alex@example.com').isVisible()).resolves.toBe(true)
  await expect(
    page.locator('.badge', { hasText: 'Paid App' }).first().textContent(),
  ).resolves.toMatch(/trial/)
  expect(problems).toEqual([])
})
