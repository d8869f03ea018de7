// The SDK inside workerd (Cloudflare's runtime, through Miniflare): a Worker bundles tinycrm-sdk
// (its source) with esbuild, answers at once and hands identify's promise to ctx.waitUntil; the call
// still reaches the real app (on Node, 127.0.0.1) and the row lands in its database.
import { dirname } from 'node:path'
import { fileURLToPath } from 'node:url'
import { build } from 'esbuild'
import { Miniflare, convertV4MiniflareOptions } from 'miniflare'
import { afterAll, beforeAll, expect, it, vi } from 'vitest'
import { startAppServer, type AppServer } from './app-server.js'

const worker = `
import { TinyCRM } from 'tinycrm-sdk'

// One client per isolate, created lazily from the env, as a Worker would.
let batched

export default {
  async fetch(request, env, ctx) {
    const { email, mode } = await request.json()
    if (mode === 'batched') {
      batched ??= new TinyCRM({ apiKey: env.TINYCRM_API_KEY, baseUrl: env.TINYCRM_URL, batch: true })
      batched.identify({ email, status: 'paid' })
      batched.ping(email)
      ctx.waitUntil(batched.flush())
    } else if (mode === 'env') {
      // No baseUrl: read from TINYCRM_URL, which nodejs_compat puts in process.env.
      const crm = new TinyCRM(env.TINYCRM_API_KEY)
      ctx.waitUntil(crm.identify({ email, params: { runtime: 'workerd', via: 'process.env' } }))
    } else {
      const crm = new TinyCRM({ apiKey: env.TINYCRM_API_KEY, baseUrl: env.TINYCRM_URL })
      ctx.waitUntil(crm.identify({ email, status: 'trial', params: { runtime: 'workerd' } }))
    }
    return new Response('accepted', { status: 202 })
  },
}
`

let server: AppServer
let script: string
beforeAll(async () => {
  server = await startAppServer()
  const out = await build({
    stdin: { contents: worker, resolveDir: dirname(fileURLToPath(import.meta.url)), loader: 'js' },
    alias: { 'tinycrm-sdk': fileURLToPath(new URL('../src/index.ts', import.meta.url)) },
    bundle: true,
    minify: true,
    format: 'esm',
    platform: 'browser',
    write: false,
  })
  script = out.outputFiles[0]!.text
})
afterAll(() => server.close())

async function withWorker(
  bindings: Record<string, string>,
  compatibilityFlags: string[],
  body: (send: (payload: object) => Promise<{ status: number }>) => Promise<void>,
) {
  // Miniflare 5 takes a new options shape; the classic one converts, and stays short.
  const mf = new Miniflare(
    convertV4MiniflareOptions({
      modules: true,
      script,
      compatibilityDate: '2026-09-01',
      compatibilityFlags,
      bindings,
    }),
  )
  try {
    await body((payload) =>
      mf.dispatchFetch('http://worker.test/signup', {
        method: 'POST',
        body: JSON.stringify(payload),
      }),
    )
  } finally {
    await mf.dispose()
  }
}

it('identify passed to ctx.waitUntil lands in the database after the response', async () => {
  const { keys, badges } = await server.seed(['Edge App'])
  await withWorker({ TINYCRM_API_KEY: keys[0]!, TINYCRM_URL: server.url }, [], async (send) => {
    const res = await send({ email: 'edge@example.com' })
    expect(res.status).toBe(202)
    await vi.waitFor(
      async () => {
        expect(await badges('edge@example.com')).toMatchObject([
          { project: 'Edge App', status: 'trial', params: { runtime: 'workerd' } },
        ])
      },
      { timeout: 15_000, interval: 50 },
    )
  })
})

it('batch: true in a Worker: ctx.waitUntil(crm.flush()) delivers the queued calls', async () => {
  const { keys, badges } = await server.seed(['Edge App'])
  await withWorker({ TINYCRM_API_KEY: keys[0]!, TINYCRM_URL: server.url }, [], async (send) => {
    expect((await send({ email: 'one@example.com', mode: 'batched' })).status).toBe(202)
    expect((await send({ email: 'two@example.com', mode: 'batched' })).status).toBe(202)
    await vi.waitFor(
      async () => {
        expect(await badges('one@example.com')).toMatchObject([{ status: 'paid' }])
        expect(await badges('two@example.com')).toMatchObject([{ status: 'paid' }])
      },
      { timeout: 15_000, interval: 50 },
    )
  })
})

it('with nodejs_compat, TINYCRM_URL from the env is the default baseUrl', async () => {
  const { keys, badges } = await server.seed(['Edge App'])
  const bindings = { TINYCRM_API_KEY: keys[0]!, TINYCRM_URL: server.url }
  await withWorker(bindings, ['nodejs_compat'], async (send) => {
    expect((await send({ email: 'env@example.com', mode: 'env' })).status).toBe(202)
    await vi.waitFor(
      async () => {
        expect(await badges('env@example.com')).toMatchObject([
          { params: { runtime: 'workerd', via: 'process.env' } },
        ])
      },
      { timeout: 15_000, interval: 50 },
    )
  })
})
