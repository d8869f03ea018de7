// The package as users get it: `npm pack` makes a tarball that imports from plain Node and
// type-checks in a consumer project; inside this repo, plain Node (no TypeScript loader) imports it
// through the workspace; and the default entry stays under its size budget.
import { execFile } from 'node:child_process'
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { gzipSync } from 'node:zlib'
import { build } from 'esbuild'
import { afterAll, describe, expect, it } from 'vitest'

const run = promisify(execFile)
const sdkDir = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const repoDir = resolve(sdkDir, '..')
const tmp = mkdtempSync(join(tmpdir(), 'tinycrm-sdk-'))
afterAll(() => rmSync(tmp, { recursive: true, force: true }))

/** Runs an ES module snippet with plain `node` from `cwd`; resolves to its exit code and output. */
async function node(cwd: string, source: string) {
  try {
    const { stdout, stderr } = await run(process.execPath, ['--input-type=module', '-e', source], {
      cwd,
    })
    return { code: 0, stdout, stderr }
  } catch (err) {
    const { code, stdout, stderr } = err as { code: number; stdout: string; stderr: string }
    return { code, stdout, stderr }
  }
}

describe('size budget', () => {
  it('the minified default entry is under 2 KB', async () => {
    const out = await build({
      entryPoints: [join(sdkDir, 'src/index.js')],
      bundle: true,
      minify: true,
      format: 'esm',
      platform: 'neutral',
      write: false,
    })
    const code = out.outputFiles[0]!.contents
    const min = code.byteLength
    const gzip = gzipSync(code, { level: 9 }).byteLength
    console.log(`tinycrm-sdk: ${min} B minified, ${gzip} B minified+gzip`)
    expect(min).toBeLessThan(2048)
  })

  it('needs no syntax newer than Node 18 and 2022 browsers have (nothing to lower)', async () => {
    const bundle = async (target: string[]) => {
      const out = await build({
        entryPoints: [join(sdkDir, 'src/index.js')],
        bundle: true,
        minify: true,
        format: 'esm',
        target,
        write: false,
      })
      return out.outputFiles[0]!.text
    }
    expect(await bundle(['node18', 'chrome103', 'firefox100', 'safari16'])).toBe(
      await bundle(['esnext']),
    )
  })

  it('has zero runtime dependencies and no Node built-ins', () => {
    const pkg = JSON.parse(readFileSync(join(sdkDir, 'package.json'), 'utf8'))
    expect(pkg.dependencies ?? {}).toEqual({})
    expect(pkg).toMatchObject({ type: 'module', sideEffects: false })
    expect(readFileSync(join(sdkDir, 'src/index.js'), 'utf8')).not.toMatch(/\bimport\b|require\(/)
  })
})

describe('plain Node', () => {
  it('imports tinycrm-sdk through the workspace from any folder of the repo', async () => {
    for (const cwd of [repoDir, join(repoDir, 'src'), join(repoDir, 'scripts')]) {
      const out = await node(
        cwd,
        `import { TinyCRM } from 'tinycrm-sdk'; console.log(typeof TinyCRM)`,
      )
      expect(out).toMatchObject({ code: 0, stdout: 'function\n' })
    }
  })

  it('unawaited failing calls do not crash the process (an unhandled rejection would)', async () => {
    const calls = `
      const crm = new TinyCRM({ apiKey: 'tcrm_proj_x', baseUrl: 'http://127.0.0.1:9', retries: 1 })
      crm.identify({ email: 'a@example.com', status: 'paid' })
      crm.identify({})
      crm.ping('a@example.com')
      new TinyCRM(process.env.NOT_SET).identify({ email: 'a@example.com' })`
    const safe = await node(repoDir, `import { TinyCRM } from 'tinycrm-sdk'\n${calls}`)
    expect(safe.code).toBe(0)
    // The default onError logs each failure.
    expect(safe.stderr.match(/^tinycrm:/gm)).toHaveLength(4)

    // The control: the same harness does see a process die of an unawaited rejection.
    const control = await node(repoDir, `Promise.reject(new Error('boom'))`)
    expect(control.code).not.toBe(0)
  })
})

describe('npm pack', () => {
  it('packs the code, types, README and licence only, and the tarball works as installed', async () => {
    const { stdout } = await run('npm', ['pack', '--json', '--pack-destination', tmp], {
      cwd: sdkDir,
    })
    const [packed] = JSON.parse(stdout.slice(stdout.indexOf('[')))
    expect(packed.files.map((f: { path: string }) => f.path).sort()).toEqual([
      'LICENSE',
      'README.md',
      'package.json',
      'src/index.d.ts',
      'src/index.js',
    ])

    const consumer = join(tmp, 'consumer')
    const installed = join(consumer, 'node_modules/tinycrm-sdk')
    mkdirSync(installed, { recursive: true })
    await run('tar', ['-xzf', join(tmp, packed.filename), '-C', installed, '--strip-components=1'])
    writeFileSync(join(consumer, 'package.json'), '{ "type": "module" }')

    const out = await node(
      consumer,
      `
      import { TinyCRM } from 'tinycrm-sdk'
      const crm = new TinyCRM('tcrm_proj_x')
      console.log(JSON.stringify(await crm.identify({ email: '' })))`,
    )
    expect(out.code).toBe(0)
    expect(JSON.parse(out.stdout)).toMatchObject({
      data: null,
      error: { code: 'validation_failed' },
    })

    // The types as a consumer's TypeScript resolves them (package.json "exports" → types).
    writeFileSync(
      join(consumer, 'index.ts'),
      `import { TinyCRM, type Result, type IdentifyData } from 'tinycrm-sdk'
      const crm = new TinyCRM({ apiKey: process.env.TINYCRM_KEY, baseUrl: 'https://crm.example.com' })
      const r: Result<IdentifyData> = await crm.identify({ email: 'a@b.c', status: 'trialing', params: { mrr: 9 } })
      if (r.error) console.log(r.error.code, r.error.status)
      else console.log(r.data.customerId + 1)
      // @ts-expect-error: not a status
      crm.identify({ email: 'a@b.c', status: 'gold' })
      // @ts-expect-error: email is required
      crm.identify({ name: 'No Email' })
      crm.ping('a@b.c'); crm.ping({ email: 'a@b.c' }); await crm.flush()
      declare const process: { env: Record<string, string | undefined> }
      `,
    )
    const tsc = join(repoDir, 'node_modules/typescript/bin/tsc')
    const args = ['--noEmit', '--strict', '--module', 'nodenext', '--target', 'es2022']
    const checked = await run(process.execPath, [tsc, ...args, '--lib', 'es2022,dom', 'index.ts'], {
      cwd: consumer,
    }).catch((err) => err)
    expect(checked.stdout).toBe('')
  })
})
