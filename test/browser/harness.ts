// Browser-test harness: starts the REAL Node server (its bundle, as `npm start` runs it, in a child
// process, over a fresh PGlite data dir, on a free port) and drives Debian's Chromium
// (../support/chromium.ts) through playwright-core; signs up and creates projects through the
// dashboard's own forms.
// Screenshots go to test-artifacts/browser/ (gitignored; CI keeps them as artifacts).
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Browser, BrowserContext, Page } from 'playwright-core'
import { afterAll, beforeAll } from 'vitest'
import { launchChromium } from '../support/chromium.js'

/** scripts/build-server.mjs's bundle of src/node.ts. */
const SERVER_BUNDLE = join(process.cwd(), 'dist', 'node.js')
export const ARTIFACTS_DIR = join(process.cwd(), 'test-artifacts', 'browser')

export interface RunningServer {
  url: string
  output: () => string
  stop(): Promise<void>
}

/** Starts the server as `npm start` does, from its bundle (dist/node.js, brought up to date by
 *  ./global-setup.ts), on a free port, and waits for its ready line. Each test file's own server
 *  compiled the app with tsx before: some 1.5 s more a start on a quiet machine. */
export async function startServer(env: Record<string, string> = {}): Promise<RunningServer> {
  const dataDir = mkdtempSync(join(tmpdir(), 'tinycrm-browser-'))
  const child: ChildProcess = spawn(process.execPath, [SERVER_BUNDLE], {
    env: {
      ...process.env,
      PORT: '0',
      HOST: '127.0.0.1',
      TINYCRM_DATA_DIR: join(dataDir, 'data'),
      DATABASE_URL: '',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let output = ''
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start:\n${output}`)), 100_000)
    const onData = (chunk: Buffer) => {
      output += chunk.toString()
      const m = /TinyCRM ready at (http:\/\/\S+)/.exec(output)
      if (m) {
        clearTimeout(timer)
        resolve(m[1]!)
      }
    }
    child.stdout!.on('data', onData)
    child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()))
    child.once('exit', (code) => {
      clearTimeout(timer)
      reject(new Error(`server exited with ${code}:\n${output}`))
    })
  })
  return {
    url,
    output: () => output,
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once('exit', r))
        child.kill('SIGTERM')
        await exited
      }
      rmSync(dataDir, { recursive: true, force: true })
    },
  }
}

export interface LiveApp {
  server: RunningServer
  browser: Browser
}

/** The real server and Chromium, started before this file's tests and stopped after them. The
 *  returned object is filled in by then: read its fields inside hooks and tests. */
export function useLiveApp(): LiveApp {
  const live = {} as LiveApp
  beforeAll(async () => {
    ;[live.server, live.browser] = await Promise.all([startServer(), launchChromium()])
  }, 300_000) // the server's start alone takes a minute on a busy machine
  afterAll(async () => {
    await live.browser?.close()
    await live.server?.stop()
  })
  return live
}

const onPath = (page: Page, path: string) =>
  page.url().startsWith('http') && new URL(page.url()).pathname === path

/** Signs up as `email` through the form (the page open, when it is the form) and waits for the
 *  projects page it lands on. */
export async function signUp(page: Page, base: string, email: string) {
  if (!onPath(page, '/signup')) await page.goto(base + '/signup')
  await page.getByLabel('Email').fill(email)
  await page.getByLabel('Password').fill('correct horse battery')
  await page.getByRole('button', { name: 'Sign up' }).click()
  await page.waitForURL(base + '/projects')
}

/** Creates project `name` with the form on /projects (the page open, when it is that page) and
 *  returns the key its page shows once. */
export async function createProject(page: Page, base: string, name: string) {
  if (!onPath(page, '/projects')) await page.goto(base + '/projects')
  await page.getByLabel('Name').fill(name)
  await page.getByRole('button', { name: 'Create project' }).click()
  return (await page.getByTestId('new-key').textContent())!.trim()
}

/** From the team page (`page` on /settings/team, signed in): creates an invite link and joins by it
 *  as `email` in a browser context of its own, closed after. */
export async function joinAsTeammate(page: Page, browser: Browser, email: string) {
  await page.getByRole('button', { name: 'Create an invite link' }).click()
  const link = (await page.getByTestId('invite-link').textContent())!.trim()
  const mate = await newPage(browser)
  await mate.page.goto(link)
  await mate.page.getByLabel('Email').fill(email)
  await mate.page.getByLabel('Password').fill('correct horse battery')
  await mate.page.getByRole('button', { name: 'Join' }).click()
  await mate.page.waitForURL(/\/customers/)
  await mate.context.close()
}

export type Cookies = Awaited<ReturnType<BrowserContext['cookies']>>

/** A test file's account: signs up as `email` in a page of its own, creates `projects` in order,
 *  hands their keys to `seed` (identify calls), and returns the session's cookies for newPage. */
export async function signedUpAccount(
  live: LiveApp,
  email: string,
  projects: string[],
  seed: (base: string, keys: string[]) => Promise<void>,
): Promise<Cookies> {
  const { page, context } = await newPage(live.browser)
  const base = live.server.url
  await signUp(page, base, email)
  const keys: string[] = []
  for (const name of projects) keys.push(await createProject(page, base, name))
  await seed(base, keys)
  const cookies = await context.cookies()
  await context.close()
  return cookies
}

/**
 * A page that records console errors and failed requests (a CSP violation or a missing asset shows
 * up there), so tests can assert the page ran clean; with `cookies`, in a session signed in before.
 */
export async function newPage(
  browser: Browser,
  opts: { width?: number; height?: number; cookies?: Cookies } = {},
) {
  const context = await browser.newContext({
    viewport: { width: opts.width ?? 1280, height: opts.height ?? 900 },
  })
  if (opts.cookies) await context.addCookies(opts.cookies)
  const page = await context.newPage()
  const problems: string[] = []
  page.on('console', (msg) => {
    if (msg.type() === 'error') problems.push(`console: ${msg.text()} (${msg.location().url})`)
  })
  page.on('pageerror', (err) => problems.push(`pageerror: ${err.message}`))
  page.on('response', (res) => {
    if (res.status() >= 500 || (res.url().includes('/assets/') && res.status() >= 400)) {
      problems.push(`${res.status()} ${res.url()}`)
    }
  })
  return { page, context, problems }
}

// A screenshot is an artifact for a person to look at, never an assertion: on a loaded machine
// Chromium sometimes cannot capture one ("Unable to capture screenshot"), and that must not fail
// the test that took it. It tries the full page, then the viewport, then says so and goes on.
export async function screenshot(page: Page, name: string, dir = ARTIFACTS_DIR) {
  mkdirSync(dir, { recursive: true })
  const path = join(dir, `${name}.png`)
  try {
    await page.screenshot({ path, fullPage: true })
  } catch {
    await page.screenshot({ path }).catch((err: Error) => {
      console.warn(`screenshot ${name} not taken: ${err.message.split('\n')[0]}`)
    })
  }
}

const axeSource = readFileSync(
  createRequire(import.meta.url).resolve('axe-core/axe.min.js'),
  'utf8',
)

export interface AxeViolation {
  id: string
  impact: string | null
  help: string
  targets: string[]
}

/** Runs axe-core in the page (evaluated through the DevTools protocol, so the page's CSP, which
 *  allows no inline script, does not stand in the way) and returns the serious and critical
 *  violations. */
export async function seriousViolations(page: Page): Promise<AxeViolation[]> {
  if (!(await page.evaluate(() => 'axe' in window))) await page.evaluate(axeSource)
  return page.evaluate(async () => {
    const axe = (window as unknown as { axe: { run(): Promise<AxeResults> } }).axe
    type AxeResults = {
      violations: {
        id: string
        impact: string | null
        help: string
        nodes: { target: string[] }[]
      }[]
    }
    const { violations } = await axe.run()
    return violations
      .filter((v) => v.impact === 'serious' || v.impact === 'critical')
      .map((v) => ({
        id: v.id,
        impact: v.impact,
        help: v.help,
        targets: v.nodes.map((n) => n.target.join(' ')),
      }))
  })
}

/** POSTs an identify call the way a product's backend does. */
export async function identify(baseUrl: string, key: string, body: Record<string, unknown>) {
  const res = await fetch(`${baseUrl}/v1/identify`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${key}`, 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
  })
  return { status: res.status, body: (await res.json()) as Record<string, unknown> }
}
