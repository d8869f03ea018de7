// In Chromium against the real server: sign up, create two projects, copy a key from the page,
// identify over HTTP with it, rotate a key, check the phone layout, log out.
import { expect, it } from 'vitest'
import { createProject, identify, newPage, screenshot, signUp, useLiveApp } from './harness.js'

const live = useLiveApp()

it('signs up, creates two projects, uses a key from the page, rotates it, and logs out', async () => {
  const { page, context, problems } = await newPage(live.browser)
  const base = live.server.url

  // A server with no account yet sends its first visitor to Sign up.
  await page.goto(base + '/')
  expect(new URL(page.url()).pathname).toBe('/signup')
  await signUp(page, base, 'indie@example.com')
  await expect(
    page.getByRole('heading', { name: 'Welcome! Create your first project' }).isVisible(),
  ).resolves.toBe(true)
  await screenshot(page, 'accounts-01-first-run')

  const keys: string[] = []
  for (const name of ['App A', 'App B']) {
    const key = await createProject(page, base, name)
    expect(key).toMatch(/^tcrm_proj_[0-9A-Za-z]{32}$/)
    expect(await page.locator('#snippet-env').textContent()).toBe(`TINYCRM_API_KEY=${key}`)
    expect(await page.locator('#snippet-js').textContent()).toContain(`baseUrl: '${base}'`)
    keys.push(key)
  }
  await screenshot(page, 'accounts-02-key-shown-once')

  // The keys from the page work: one customer, merged by email across both projects.
  const a = await identify(base, keys[0]!, {
    email: 'alex@example.com',
    name: 'Alex Chen',
    status: 'paid',
  })
  const b = await identify(base, keys[1]!, { email: 'alex@example.com', status: 'free' })
  expect(a).toMatchObject({ status: 200, body: { ok: true, created: true } })
  expect(b).toMatchObject({ status: 200, body: { ok: true, created: false } })
  expect(b.body.customerId).toBe(a.body.customerId)

  await page.goto(base + '/projects')
  const items = page.locator('.project-item')
  await expect(items.count()).resolves.toBe(2)
  for (const text of await items.allTextContents()) expect(text).toContain('1 customer ')
  await screenshot(page, 'accounts-03-projects')

  // Afterwards the key is only a prefix; rotating shows a new one and the old one stops working.
  await items.first().getByRole('link', { name: 'Settings & keys' }).click()
  expect(await page.content()).not.toContain(keys[0])
  // Rotating asks first, in a dialog.
  await page.getByRole('button', { name: 'Rotate key…' }).click()
  await page.getByRole('dialog').getByRole('button', { name: 'Rotate key', exact: true }).click()
  const rotated = (await page.getByTestId('new-key').textContent())!.trim()
  expect(rotated).not.toBe(keys[0])
  expect((await identify(base, keys[0]!, { email: 'alex@example.com' })).status).toBe(403)
  expect((await identify(base, rotated, { email: 'alex@example.com' })).status).toBe(200)

  // htmx requests carry the CSRF token from <body hx-headers:inherited>: an hx-post with no form
  // field of its own is accepted (the server refuses POSTs without the token, see auth.test.ts).
  await page.evaluate(() => {
    const button = document.createElement('button')
    button.id = 'hx-probe'
    button.setAttribute('hx-post', '/projects')
    button.setAttribute('hx-vals', JSON.stringify({ name: 'Via htmx' }))
    button.setAttribute('hx-swap', 'none')
    document.querySelector('main')!.appendChild(button)
    ;(window as unknown as { htmx: { process(el: Element): void } }).htmx.process(button)
  })
  const [hxResponse] = await Promise.all([
    page.waitForResponse((r) => r.request().method() === 'POST' && r.url().endsWith('/projects')),
    page.click('#hx-probe'),
  ])
  expect(hxResponse.request().headers()['x-csrf-token']).toBeTruthy()
  // Created, and answered as every form post is: 303 to the new project.
  expect(hxResponse.status()).toBe(303)

  // Usable at 390 px: nothing wider than the screen.
  const phone = await newPage(live.browser, { width: 390, height: 844 })
  await phone.context.addCookies(await context.cookies())
  await phone.page.goto(page.url().replace(/\/keys$/, ''))
  const overflow = await phone.page.evaluate(
    () => document.documentElement.scrollWidth - window.innerWidth,
  )
  expect(overflow).toBeLessThanOrEqual(0)
  await screenshot(phone.page, 'accounts-04-project-390px')
  await phone.context.close()

  // Log out from the account menu: the session is over, pages send back to log in.
  await page.locator('.account-menu summary').click()
  await page.getByRole('button', { name: 'Log out' }).click()
  await page.waitForURL(base + '/login')
  await page.goto(base + '/projects')
  expect(new URL(page.url()).pathname).toBe('/login')
  await screenshot(page, 'accounts-05-logged-out')

  expect(problems).toEqual([])
})

it('stays on the origin after login, whatever ?next= holds (tab, newline, backslash, //)', async () => {
  const { page, problems } = await newPage(live.browser)
  const base = live.server.url
  // Any request off the origin is recorded and aborted: nothing leaves this machine.
  const offOrigin: string[] = []
  await page.context().route('**/*', (route) => {
    const url = route.request().url()
    if (new URL(url).origin === new URL(base).origin) return route.continue()
    offOrigin.push(url)
    return route.abort()
  })
  await signUp(page, base, 'redirect@example.com')

  const attacks = [
    '/%09/evil.example',
    '/%5C/evil.example',
    '/..//evil.example',
    '/%0A/evil.example',
  ]
  // Signed in: GET /login?next=… redirects at once.
  for (const next of attacks) {
    await page.goto(`${base}/login?next=${next}`)
    expect(new URL(page.url()).origin, next).toBe(new URL(base).origin)
  }
  // Signed out: the login form posts to /login?next=… and is redirected after the password.
  await page.waitForLoadState('networkidle') // the last landing page's rail request, answered
  await page.context().clearCookies()
  for (const next of attacks) {
    await page.goto(`${base}/login?next=${next}`)
    await page.getByLabel('Email').fill('redirect@example.com')
    await page.getByLabel('Password').fill('correct horse battery')
    // Wait for the navigation the click starts (a load state would be the login page's own).
    await Promise.all([
      page.waitForURL((url) => url.pathname !== '/login', { waitUntil: 'commit' }),
      page.getByRole('button', { name: 'Log in' }).click(),
    ])
    expect(new URL(page.url()).origin, next).toBe(new URL(base).origin)
    // The page landed on asks for its rail in a request of its own: let it answer before the
    // cookies go, or it answers 401 (and htmx acts on it) during the next attack's login.
    await page.waitForLoadState('networkidle')
    await page.context().clearCookies()
  }
  expect(offOrigin).toEqual([])
  expect(problems).toEqual([])
})
