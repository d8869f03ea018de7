// The package as users get it. scripts/pack-sdk.mjs (run before start, dev, test and deploy) packs
// sdk/ into public/sdk/tinycrm-sdk.tgz; the real server (src/node.ts) serves it at
// /sdk/tinycrm-sdk.tgz; `npm install <that URL>` into an empty project gives a working, typed SDK.
// The budget: the built entry under 2 KB minified.
import { execFile, spawn, type ChildProcess } from 'node:child_process'
import {
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  utimesSync,
  writeFileSync,
} from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { gzipSync } from 'node:zlib'
import { PGlite } from '@electric-sql/pglite'
import { build } from 'esbuild'
import { Miniflare, convertV4MiniflareOptions } from 'miniflare'
import { unstable_getMiniflareWorkerOptions } from 'wrangler'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

const run = promisify(execFile)
const sdkDir = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const repoDir = resolve(sdkDir, '..')
const tarball = join(repoDir, 'public/sdk/tinycrm-sdk.tgz')
const tmp = mkdtempSync(join(tmpdir(), 'tinycrm-sdk-'))
afterAll(() => rmSync(tmp, { recursive: true, force: true }))

/** The environment of a user's shell: no npm settings inherited from `npm test` itself. */
function userEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env = Object.fromEntries(
    Object.entries(process.env).filter(
      ([name]) => !/^npm_/i.test(name) && !['TINYCRM_URL', 'DATABASE_URL'].includes(name),
    ),
  )
  return { ...env, ...extra }
}

/** Runs a command to its end; resolves to its exit code and output, whatever the code. */
async function sh(file: string, args: string[], options: { cwd: string; env?: NodeJS.ProcessEnv }) {
  try {
    const { stdout, stderr } = await run(file, args, { env: userEnv(), ...options })
    return { code: 0, stdout, stderr }
  } catch (err) {
    const { code, stdout, stderr } = err as { code: number; stdout: string; stderr: string }
    return { code, stdout, stderr }
  }
}

/** Runs an ES module snippet with plain `node` (no TypeScript loader) from `cwd`. */
function node(cwd: string, source: string, env: Record<string, string> = {}) {
  return sh(process.execPath, ['--input-type=module', '-e', source], { cwd, env: userEnv(env) })
}

const packSdk = () => sh(process.execPath, ['scripts/pack-sdk.mjs'], { cwd: repoDir })

/** A file of the tarball, as npm would unpack it. */
async function packed(path: string) {
  return (await run('tar', ['-xzOf', tarball, `package/${path}`], { encoding: 'utf8' })).stdout
}

beforeAll(async () => {
  // Up to date already when `npm test` ran its pretest; packs now when the source is newer.
  expect((await packSdk()).code).toBe(0)
}, 120_000)

describe('the packed SDK', () => {
  it('holds the built code, its types, README and licence only', async () => {
    const { stdout } = await run('tar', ['-tzf', tarball])
    expect(stdout.trim().split('\n').sort()).toEqual([
      'package/LICENSE',
      'package/README.md',
      'package/dist/index.d.ts',
      'package/dist/index.js',
      'package/dist/types.d.ts',
      'package/package.json',
    ])
  })

  it('is a complete package, of the version of the server that serves it', async () => {
    const pkg = JSON.parse(await packed('package.json'))
    const server = JSON.parse(readFileSync(join(repoDir, 'package.json'), 'utf8'))
    expect(pkg).toMatchObject({
      name: 'tinycrm-sdk',
      version: server.version,
      type: 'module',
      sideEffects: false,
      exports: {
        '.': { types: './dist/index.d.ts', default: './dist/index.js' },
        './package.json': './package.json',
      },
      main: './dist/index.js',
      types: './dist/index.d.ts',
      license: 'MIT',
    })
    expect(pkg.dependencies ?? {}).toEqual({})
    expect(pkg).toEqual(JSON.parse(readFileSync(join(sdkDir, 'package.json'), 'utf8')))
  })

  it('the built entry is under 2 KB minified, imports nothing, and needs no newer syntax', async () => {
    const entry = await packed('dist/index.js')
    expect(entry).not.toMatch(/\bimport\b|require\(/)
    const minify = async (target: string[]) => {
      const out = await build({
        stdin: { contents: entry, loader: 'js' },
        bundle: true,
        minify: true,
        format: 'esm',
        platform: 'neutral',
        target,
        write: false,
      })
      return out.outputFiles[0]!.contents
    }
    const code = await minify(['esnext'])
    const gzip = gzipSync(code, { level: 9 }).byteLength
    console.log(`tinycrm-sdk: ${code.byteLength} B minified, ${gzip} B minified+gzip`)
    expect(code.byteLength).toBeLessThan(2048)
    // Node 18 and 2022 browsers run it as built: nothing to lower.
    expect(await minify(['node18', 'chrome103', 'firefox100', 'safari16'])).toEqual(code)
  })

  it('is packed again when a file it is made of changes, and not otherwise', async () => {
    const builtAt = () => statSync(tarball).mtimeMs
    const before = builtAt()
    expect((await packSdk()).stdout).toBe('')
    expect(builtAt()).toBe(before)

    const source = join(sdkDir, 'src/index.ts')
    const now = new Date()
    utimesSync(source, now, now)
    expect((await packSdk()).stdout).toMatch(/^tinycrm-sdk \S+ packed into public\/sdk\//)
    expect(builtAt()).toBeGreaterThan(before)
  }, 120_000)
})

describe('installed from the server: npm install <server>/sdk/tinycrm-sdk.tgz', () => {
  const dataDir = join(tmp, 'data')
  const consumer = join(tmp, 'consumer')
  let server: ChildProcess | undefined
  let serverUrl: string
  let key: string

  /** `npm run -s tinycrm -- …` as the README has it, on this test's data directory. */
  async function tinycrm(args: string[], stdin = '') {
    const child = spawn('npm', ['run', '-s', 'tinycrm', '--', ...args], {
      cwd: repoDir,
      env: userEnv({ TINYCRM_DATA_DIR: dataDir }),
      stdio: ['pipe', 'pipe', 'pipe'],
    })
    child.stdin.end(stdin)
    let stdout = ''
    child.stdout.on('data', (d) => (stdout += d))
    const code = await new Promise((resolve) => child.on('close', resolve))
    expect(code).toBe(0)
    return stdout.trimEnd().split('\n').at(-1)!
  }

  async function stopServer() {
    if (server && server.exitCode === null) {
      const exited = new Promise((resolve) => server!.once('exit', resolve))
      server.kill('SIGTERM')
      await exited
    }
  }

  beforeAll(async () => {
    const password = 'correct horse battery\n'
    await tinycrm(['account', 'create', '--email', 'me@example.com', '--password', '-'], password)
    key = await tinycrm(['project', 'create', '--account', 'me@example.com', '--name', 'App A'])
    // The real server, as `npm start` runs it (scripts/start.mjs packs the SDK if it is stale, and
    // runs the bundled server).
    server = spawn(process.execPath, ['scripts/start.mjs'], {
      cwd: repoDir,
      env: userEnv({ PORT: '0', HOST: '127.0.0.1', TINYCRM_DATA_DIR: dataDir }),
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let output = ''
    serverUrl = await new Promise<string>((resolve, reject) => {
      server!.stdout!.on('data', (chunk: Buffer) => {
        output += chunk
        const ready = /TinyCRM ready at (http:\/\/\S+)/.exec(output)
        if (ready) resolve(ready[1]!)
      })
      server!.stderr!.on('data', (chunk: Buffer) => (output += chunk))
      server!.once('exit', (code) => reject(new Error(`server exited with ${code}:\n${output}`)))
    })

    mkdirSync(consumer)
    writeFileSync(
      join(consumer, 'package.json'),
      JSON.stringify({ name: 'consumer', private: true, type: 'module' }),
    )
  }, 120_000)
  afterAll(stopServer)

  it('serves the packed SDK, byte for byte', async () => {
    const res = await fetch(`${serverUrl}/sdk/tinycrm-sdk.tgz`)
    expect(res.status).toBe(200)
    expect(Buffer.from(await res.arrayBuffer())).toEqual(readFileSync(tarball))
  })

  it('on Workers, the static assets of wrangler.toml serve the same file at the same path', async () => {
    const { workerOptions } = unstable_getMiniflareWorkerOptions(join(repoDir, 'wrangler.toml'))
    const mf = new Miniflare(
      convertV4MiniflareOptions({
        modules: true,
        script: `export default { fetch: () => new Response('the app', { status: 404 }) }`,
        compatibilityDate: '2026-09-01',
        // As wrangler reads it from wrangler.toml ([assets]); its type is wrangler's own copy.
        assets: workerOptions.assets as { directory: string },
      }),
    )
    try {
      const res = await mf.dispatchFetch('http://worker.test/sdk/tinycrm-sdk.tgz')
      expect(res.status).toBe(200)
      expect(Buffer.from(await res.arrayBuffer())).toEqual(readFileSync(tarball))
    } finally {
      await mf.dispose()
    }
  }, 60_000)

  it('installs into an empty project (no registry: zero dependencies); identify lands in the database', async () => {
    const url = `${serverUrl}/sdk/tinycrm-sdk.tgz`
    // An unreachable registry and an empty cache: the package can only come from the server.
    const install = await sh(
      'npm',
      ['install', '--no-audit', '--no-fund', '--registry', 'http://127.0.0.1:9/', url],
      { cwd: consumer, env: userEnv({ npm_config_cache: join(tmp, 'npm-cache') }) },
    )
    expect(install).toMatchObject({ code: 0 })
    const manifest = JSON.parse(readFileSync(join(consumer, 'package.json'), 'utf8'))
    expect(manifest.dependencies).toEqual({ 'tinycrm-sdk': url })

    // The seeds' one-argument form: without TINYCRM_URL it sends nothing and says what to set...
    const script = `
      import { TinyCRM } from 'tinycrm-sdk'
      const crm = new TinyCRM(process.env.TINYCRM_API_KEY)
      const result = await crm.identify({ email: 'installed@example.com' })
      console.log(JSON.stringify(result))`
    const unnamed = await node(consumer, script, { TINYCRM_API_KEY: key })
    expect(unnamed.code).toBe(0)
    expect(JSON.parse(unnamed.stdout)).toMatchObject({
      data: null,
      error: { code: 'missing_url', message: expect.stringContaining('TINYCRM_URL') },
    })
    // ...and with it, the call goes to this server.
    const named = await node(consumer, script, { TINYCRM_API_KEY: key, TINYCRM_URL: serverUrl })
    expect(named.code).toBe(0)
    expect(JSON.parse(named.stdout)).toMatchObject({
      data: { ok: true, created: true },
      error: null,
    })

    await stopServer()
    const db = new PGlite(dataDir)
    try {
      const { rows } = await db.query(
        `SELECT c.email, p.name AS project FROM customers c
         JOIN customer_projects r ON r.customer_id = c.id JOIN projects p ON p.id = r.project_id`,
      )
      expect(rows).toEqual([{ email: 'installed@example.com', project: 'App A' }])
    } finally {
      await db.close()
    }
  }, 120_000)

  it('type-checks in a consumer TypeScript project (exports → types)', async () => {
    writeFileSync(
      join(consumer, 'index.ts'),
      `import { TinyCRM, type Result, type IdentifyData } from 'tinycrm-sdk'
      const crm = new TinyCRM({ apiKey: process.env.TINYCRM_KEY, baseUrl: 'https://crm.example.com' })
      const r: Result<IdentifyData> = await crm.identify({ email: 'a@b.c', status: 'trialing', params: { mrr: 9 } })
      if (r.error) console.log(r.error.code, r.error.status)
      else console.log(r.data.customerId + 1)
      crm.identify({ email: 'a@b.c', paramsOnce: { source: 'producthunt', first_plan: 'pro' } })
      // @ts-expect-error: not a status
      crm.identify({ email: 'a@b.c', status: 'gold' })
      // @ts-expect-error: email is required
      crm.identify({ name: 'No Email' })
      // @ts-expect-error: paramsOnce is an object of params
      crm.identify({ email: 'a@b.c', paramsOnce: 'producthunt' })
      new TinyCRM(process.env.TINYCRM_KEY).ping('a@b.c')
      crm.ping('a@b.c'); crm.ping({ email: 'a@b.c' }); await crm.flush()
      declare const process: { env: Record<string, string | undefined> }
      `,
    )
    const tsc = join(repoDir, 'node_modules/typescript/bin/tsc')
    const args = ['--noEmit', '--strict', '--module', 'nodenext', '--target', 'es2022']
    const checked = await sh(process.execPath, [tsc, ...args, '--lib', 'es2022,dom', 'index.ts'], {
      cwd: consumer,
    })
    expect(checked).toMatchObject({ code: 0, stdout: '' })
  }, 60_000)

  it('unawaited failing calls do not crash the process (an unhandled rejection would)', async () => {
    const calls = `
      import { TinyCRM } from 'tinycrm-sdk'
      const crm = new TinyCRM({ apiKey: 'tcrm_proj_x', baseUrl: 'http://127.0.0.1:9', retries: 1 })
      crm.identify({ email: 'a@example.com', status: 'paid' })
      crm.identify({})
      crm.ping('a@example.com')
      new TinyCRM(process.env.NOT_SET).identify({ email: 'a@example.com' })
      new TinyCRM('tcrm_proj_x').identify({ email: 'a@example.com' })`
    const safe = await node(consumer, calls)
    expect(safe.code).toBe(0)
    // The default onError logs each failure.
    expect(safe.stderr.match(/^tinycrm:/gm)).toHaveLength(5)

    // The control: the same harness does see a process die of an unawaited rejection.
    const control = await node(consumer, `Promise.reject(new Error('boom'))`)
    expect(control.code).not.toBe(0)
  })
})

describe('in this repository', () => {
  it('plain Node imports tinycrm-sdk through the workspace once packed (the pre-scripts do it)', async () => {
    for (const cwd of [repoDir, join(repoDir, 'src'), join(repoDir, 'scripts')]) {
      const out = await node(
        cwd,
        `import { TinyCRM } from 'tinycrm-sdk'; console.log(typeof TinyCRM)`,
      )
      expect(out).toMatchObject({ code: 0, stdout: 'function\n' })
    }
  })
})
