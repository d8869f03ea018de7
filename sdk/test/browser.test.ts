// The SDK in a real browser (Chromium through playwright-core): a page on another origin imports
// the ES module (the source without its types, as the package's dist/index.js), calls identify
// across origins (CORS) against the real app, and a failing unawaited call raises no
// unhandledrejection in the page.
import { readFileSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { transform } from 'esbuild'
import type { Browser } from 'playwright-core'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { launchChromium } from '../../test/support/chromium.js'
import { startAppServer, type AppServer } from './app-server.js'

const { code: sdkSource } = await transform(
  readFileSync(new URL('../src/index.ts', import.meta.url), 'utf8'),
  { loader: 'ts', format: 'esm' },
)

// The page's own module: what a product's front end would write.
const page = `<!doctype html><title>app</title>
<script type="module">
  import { TinyCRM } from '/tinycrm-sdk.js'
  const rejections = []
  addEventListener('unhandledrejection', (e) => rejections.push(String(e.reason)))
  window.run = async (key, apiUrl) => {
    const crm = new TinyCRM({ apiKey: key, baseUrl: apiUrl })
    const result = await crm.identify({ email: 'web@example.com', params: { from: 'browser' } })

    const broken = new TinyCRM({ apiKey: key, baseUrl: 'http://127.0.0.1:9', retries: 0 })
    broken.identify({ email: 'web@example.com' })
    broken.ping('web@example.com')
    await broken.flush()
    await new Promise((resolve) => setTimeout(resolve, 50))
    return { result, rejections }
  }
</script>`
type Run = (key: string, apiUrl: string) => Promise<{ result: unknown; rejections: string[] }>

let server: AppServer
let site: Server
let siteUrl: string
let browser: Browser

beforeAll(async () => {
  server = await startAppServer()
  // The product's own site: a page and the SDK file, on an origin other than TinyCRM's.
  site = createServer((req, res) => {
    if (req.url === '/tinycrm-sdk.js') {
      res.writeHead(200, { 'content-type': 'text/javascript' }).end(sdkSource)
    } else {
      res.writeHead(200, { 'content-type': 'text/html' }).end(page)
    }
  })
  await new Promise<void>((resolve) => site.listen(0, '127.0.0.1', resolve))
  siteUrl = `http://localhost:${(site.address() as AddressInfo).port}`
  // Playwright gives the browser a fresh temporary profile of its own.
  browser = await launchChromium()
})
afterAll(async () => {
  await browser?.close()
  await new Promise((resolve) => site?.close(resolve))
  await server?.close()
})

it('identifies from a page on another origin, and an unawaited failure stays quiet', async () => {
  const { keys, badges } = await server.seed(['Web App'])
  const page = await browser.newPage()
  const pageErrors: string[] = []
  page.on('pageerror', (err) => pageErrors.push(err.message))
  await page.goto(siteUrl)

  await page.waitForFunction(() => 'run' in window)
  const outcome = await page.evaluate(
    ([key, apiUrl]) => (window as unknown as { run: Run }).run(key, apiUrl),
    [keys[0]!, server.url] as const,
  )

  expect(outcome.result).toMatchObject({ data: { ok: true, created: true }, error: null })
  expect(outcome.rejections).toEqual([])
  expect(pageErrors).toEqual([])
  expect(await badges('web@example.com')).toMatchObject([
    { project: 'Web App', params: { from: 'browser' } },
  ])
})
