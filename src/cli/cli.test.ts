// The CLI as a self-hoster runs it: real processes (`node scripts/tinycrm.mjs …`, what
// `npm run tinycrm` runs: the bundled tool) on a real PGlite data directory, whose keys are then
// tried against the app, and the data directory's lock against a real running server (`node
// scripts/start.mjs`, what `npm start` runs).
import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, describe, expect, it } from 'vitest'
import { createApp } from '../app.js'
import { openNodeDb } from '../db/node.js'
import { postJson } from '../../test/support/fixtures.js'

const root = fileURLToPath(new URL('../..', import.meta.url))
const tmp = mkdtempSync(join(tmpdir(), 'tinycrm-cli-'))
afterAll(() => rmSync(tmp, { recursive: true, force: true }))

function env(dataDir: string): NodeJS.ProcessEnv {
  const { DATABASE_URL: _u, TINYCRM_PASSWORD: _p, PORT: _port, ...rest } = process.env
  return { ...rest, TINYCRM_DATA_DIR: dataDir }
}

function start(args: string[], dataDir: string, extraEnv: NodeJS.ProcessEnv = {}) {
  return spawn(process.execPath, args, {
    cwd: root,
    env: { ...env(dataDir), ...extraEnv },
    stdio: ['pipe', 'pipe', 'pipe'],
  })
}

/** Runs the CLI to its end: exit code, stdout, stderr. */
function cli(dataDir: string, args: string[], stdin = '') {
  const child = start(['scripts/tinycrm.mjs', ...args], dataDir)
  child.stdin!.end(stdin)
  return collect(child)
}

function collect(child: ChildProcess) {
  let stdout = ''
  let stderr = ''
  child.stdout!.on('data', (d) => (stdout += d))
  child.stderr!.on('data', (d) => (stderr += d))
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) =>
    child.on('close', (code) => resolve({ code, stdout, stderr })),
  )
}

const lastLine = (text: string) => text.trimEnd().split('\n').at(-1)!

/** Opens the data directory in this process (the CLI must have released it) and POSTs identify. */
async function identifyWith(dataDir: string, keys: string[]) {
  const node = await openNodeDb({ dataDir })
  try {
    const app = createApp({ db: node.db })
    const statuses = []
    for (const key of keys) {
      statuses.push((await postJson(app, '/v1/identify', key, { email: 'x@example.com' })).status)
    }
    return statuses
  } finally {
    await node.close()
  }
}

describe('tinycrm CLI on a PGlite data directory', () => {
  const dir = join(tmp, 'main')

  it('creates an account, a project whose key works, rotates and revokes keys', async () => {
    const account = await cli(
      dir,
      ['account', 'create', '--email', 'Owner@Example.com', '--password', '-'],
      'correct horse battery\n',
    )
    expect(account.stderr).toContain('Creating a new database')
    expect(account).toMatchObject({ code: 0, stdout: expect.stringContaining('owner@example.com') })

    const project = await cli(dir, [
      'project',
      'create',
      '--account',
      'owner@example.com',
      '--name',
      'App A',
    ])
    expect(project.code).toBe(0)
    expect(project.stdout.endsWith('\n')).toBe(true)
    const key = lastLine(project.stdout)
    expect(key).toMatch(/^tcrm_proj_[0-9A-Za-z]{32}$/)
    expect(await identifyWith(dir, [key])).toEqual([200])

    const rotated = await cli(dir, ['key', 'rotate', '--project', 'app-a'])
    expect(rotated.code).toBe(0)
    expect(rotated.stdout).toContain(`Revoked: ${key.slice(0, 16)}…`)
    const newKey = lastLine(rotated.stdout)
    expect(newKey).toMatch(/^tcrm_proj_/)
    expect(newKey).not.toBe(key)
    expect(await identifyWith(dir, [key, newKey])).toEqual([403, 200])

    const revoked = await cli(dir, ['key', 'revoke', '--key', newKey.slice(0, 16)])
    expect(revoked.code).toBe(0)
    expect(revoked.stdout).toContain(`Revoked ${newKey.slice(0, 16)}… of App A`)
    expect(await identifyWith(dir, [newKey])).toEqual([403])
  }, 240_000) // four CLI processes, a new database (initdb), three opens: slow on a busy machine

  it('import into a database that has data: the target is named, not the bundle (--in)', async () => {
    const file = join(tmp, 'main.tinycrm.gz')
    expect((await cli(dir, ['export', '--out', file])).code).toBe(0)
    const refused = await cli(dir, ['import', '--in', file])
    expect(refused.code).toBe(1)
    expect(refused.stderr).toMatch(/^tinycrm: The target database is not empty \(accounts, /)
  }, 120_000)

  it('refuses a data directory a server owns, and takes over the lock its crash left', async () => {
    const server = start(['scripts/start.mjs'], dir, { PORT: '0' })
    const exited = collect(server)
    let serverOut = ''
    await new Promise<void>((resolve, reject) => {
      server.stdout!.on('data', (d) => {
        serverOut += d
        if (serverOut.includes('TinyCRM ready')) resolve()
      })
      server.on('exit', () => reject(new Error(`server exited early: ${serverOut}`)))
    })
    try {
      const refused = await cli(dir, ['project', 'list'])
      expect(refused.code).toBe(1)
      expect(refused.stdout).toBe('')
      const url = /TinyCRM ready at (\S+)/.exec(serverOut)![1]
      expect(refused.stderr).toBe(
        `tinycrm: The data directory ${dir} is in use by another TinyCRM process ` +
          `(pid ${server.pid}, serving ${url}). PGlite allows one process per data directory: ` +
          `use the dashboard at ${url}, or stop that process first, or run this against a ` +
          'Postgres server with DATABASE_URL.\n',
      )
    } finally {
      // A crash, not a clean stop: the lock file stays behind with a dead pid in it.
      server.kill('SIGKILL')
      await exited
    }
    expect(JSON.parse(readFileSync(join(dir, 'tinycrm.lock'), 'utf8')).pid).toBe(server.pid)

    const list = await cli(dir, ['project', 'list', '--account', 'owner@example.com'])
    expect(list).toMatchObject({ code: 0, stderr: '' })
    expect(list.stdout).toMatch(
      /^ID +SLUG +ACTIVE KEYS +CREATED \(UTC\) +NAME\n\d+ +app-a +0 +\S+ \S+ +App A\n$/,
    )
    expect(existsSync(join(dir, 'tinycrm.lock'))).toBe(false) // released on exit
  }, 120_000)
})

describe('npm start on an empty data directory', () => {
  it('prints where to sign up, after the ready line', async () => {
    const server = start(['scripts/start.mjs'], join(tmp, 'first-run'), { PORT: '0' })
    const exited = collect(server)
    let out = ''
    try {
      await new Promise<void>((resolve, reject) => {
        server.stdout!.on('data', (d) => {
          out += d
          if (out.includes('No account yet')) resolve()
        })
        server.on('exit', () => reject(new Error(`server exited early: ${out}`)))
      })
      const url = /TinyCRM ready at (\S+)/.exec(out)![1]
      expect(out).toContain(`\nNo account yet: sign up at ${url}/signup\n`)
    } finally {
      server.kill('SIGTERM')
      await exited
    }
  }, 120_000)
})
