// README's "Already on Segment?" analytics.js snippet, run as written in Chromium: its code block is
// bundled with esbuild (only the key and the host the README says to change are replaced), served
// from a page on the server's origin, and its identify/track/page calls must reach the real server
// and nothing else: every request off the origin is recorded and aborted.
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { build } from 'esbuild'
import { expect, it } from 'vitest'
import { createProject, newPage, signUp, useLiveApp } from './harness.js'

const ROOT = fileURLToPath(new URL('../..', import.meta.url))

/** The ```js block under "## Already on Segment?" in README.md (the analytics.js one). */
function snippet(): string {
  const readme = readFileSync(`${ROOT}/README.md`, 'utf8')
  const section = readme.slice(readme.indexOf('Already on Segment?'))
  const code = /```js\n([\s\S]*?)```/.exec(section)?.[1]
  if (!code?.includes('AnalyticsBrowser.load')) throw new Error('no analytics.js snippet in README')
  return code
}

/** The snippet with the user's key and host in, bundled for the browser as `window.analytics`. */
async function bundle(key: string, base: string): Promise<string> {
  const { host, protocol } = new URL(base)
  const code = snippet()
    .replace("'tcrm_proj_…'", `'${key}'`)
    .replace("'your-tinycrm.example/v1'", `'${host}/v1'`)
    .replace("protocol: 'https'", `protocol: '${protocol.slice(0, -1)}'`)
  expect(code).toContain(`'${key}'`)
  expect(code).toContain(`'${host}/v1'`)
  const out = await build({
    stdin: {
      contents: `${code}\nwindow.analytics = analytics\n`,
      resolveDir: ROOT,
      loader: 'js',
    },
    bundle: true,
    format: 'iife',
    platform: 'browser',
    write: false,
    logLevel: 'silent',
  })
  return out.outputFiles[0]!.text
}

const live = useLiveApp()

it("delivers analytics.js's identify, track and page to TinyCRM, and nothing leaves the origin", async () => {
  const { page, context, problems } = await newPage(live.browser)
  const base = live.server.url
  const offOrigin: string[] = []
  await context.route('**/*', (route) => {
    const url = route.request().url()
    if (new URL(url).origin === new URL(base).origin) return route.continue()
    offOrigin.push(url)
    return route.abort()
  })
  const sent: string[] = []
  page.on('response', (res) => {
    if (new URL(res.url()).pathname.startsWith('/v1/')) {
      sent.push(`${res.request().method()} ${new URL(res.url()).pathname} ${res.status()}`)
    }
  })

  await signUp(page, base, 'segment@example.com')
  const key = await createProject(page, base, 'Web App')
  expect(key).toMatch(/^tcrm_proj_[0-9A-Za-z]{32}$/)
  await page.goto(base + '/settings/tokens')
  await page.getByLabel('Name (what uses it)').fill('segment test')
  await page.getByRole('button', { name: 'Create token' }).click()
  const token = (await page.getByTestId('new-token').textContent())!.trim()

  // The founder's site, on the server's origin: a page loading the bundled snippet.
  const script = await bundle(key, base)
  await page.route(base + '/site/**', (route) =>
    route.request().url().endsWith('.js')
      ? route.fulfill({ contentType: 'text/javascript', body: script })
      : route.fulfill({
          contentType: 'text/html',
          body: '<!doctype html><title>Site</title><script src="/site/analytics.js"></script>',
        }),
  )
  await page.goto(base + '/site/')
  await page.evaluate(async () => {
    const { analytics } = window as unknown as {
      analytics: {
        identify(id: string, traits: object): Promise<unknown>
        track(event: string): Promise<unknown>
        page(): Promise<unknown>
      }
    }
    await analytics.identify('u1', { email: 'alex@example.com', name: 'Alex Chen', plan: 'pro' })
    await analytics.track('Upgraded')
    await analytics.page()
  })

  const customer = async () => {
    const res = await fetch(`${base}/v1/customers?limit=10`, {
      headers: { Authorization: `Bearer ${token}` },
    })
    return (await res.json()) as unknown
  }
  await expect.poll(customer, { timeout: 30_000 }).toMatchObject({
    customers: [
      {
        email: 'alex@example.com',
        name: 'Alex Chen',
        projects: { 'web-app': { params: { plan: 'pro' } } },
      },
    ],
  })
  // track and page, after identify, moved the customer's last activity on.
  const { customers } = (await customer()) as {
    customers: { projects: Record<string, { firstSeenAt: string; lastActivityAt: string }> }[]
  }
  const project = customers[0]!.projects['web-app']!
  expect(Date.parse(project.lastActivityAt)).toBeGreaterThan(Date.parse(project.firstSeenAt))
  await expect
    .poll(() => sent.toSorted())
    .toEqual(['POST /v1/i 200', 'POST /v1/p 200', 'POST /v1/t 200'])
  expect(offOrigin).toEqual([])
  expect(problems).toEqual([])
})
