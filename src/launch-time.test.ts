// The "ready" line's start-up time counts from the `npm start` the user typed: up from the server
// through the shell npm ran it in to npm, read from Linux's /proc.
import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { describe, expect, it } from 'vitest'
import { launcherKind, msSinceLaunch, parseStat } from './launch-time.js'

/** A /proc/<pid>/stat line: pid, command, state, parent, …, start time (field 22) in ticks. */
const stat = (pid: number, comm: string, ppid: number, startTicks: number) =>
  `${pid} (${comm}) S ${ppid} ${Array.from({ length: 17 }, () => '0').join(' ')} ${startTicks} 0 0`

/** A process tree as /proc shows it, 500 s after boot. */
function proc(tree: Record<number, { cmdline: string; ppid: number; startTicks: number }>) {
  return (path: string) => {
    if (path === '/proc/uptime') return '500.00 900.00\n'
    const [, pid, file] = /^\/proc\/(\d+)\/(\w+)$/.exec(path) ?? []
    const p = tree[Number(pid)]
    if (!p) throw new Error(`ENOENT: ${path}`)
    return file === 'cmdline' ? p.cmdline : stat(Number(pid), 'x', p.ppid, p.startTicks)
  }
}

const underNpm = { env: { npm_lifecycle_event: 'start' }, platform: 'linux' as const, ppid: 30 }

describe('the start-up time the server prints', () => {
  it('counts from npm start: the shell npm ran the script in, then npm itself', () => {
    const read = proc({
      30: { cmdline: 'sh\0-c\0node scripts/start.mjs\0', ppid: 20, startTicks: 49_970 },
      20: { cmdline: 'npm start      ', ppid: 10, startTicks: 49_940 },
      10: { cmdline: '/bin/sh\0-c\0npm start && echo done\0', ppid: 1, startTicks: 10_000 },
    })
    // npm started at 499.40 s, /proc/uptime says 500.00 s: 600 ms, more than the process's 250.
    expect(msSinceLaunch({ ...underNpm, read, now: 250 })).toBe(600)
  })

  it("is the process's own age without npm, off Linux, or when /proc cannot be read", () => {
    const read = proc({
      30: { cmdline: 'sh\0-c\0node scripts/start.mjs\0', ppid: 20, startTicks: 49_970 },
      20: { cmdline: 'bash\0', ppid: 1, startTicks: 40_000 },
    })
    expect(msSinceLaunch({ ...underNpm, read, now: 250.4 })).toBe(250)
    expect(msSinceLaunch({ ...underNpm, env: {}, read: () => '', now: 250 })).toBe(250)
    expect(msSinceLaunch({ ...underNpm, platform: 'darwin', read: () => '', now: 250 })).toBe(250)
    expect(msSinceLaunch({ ...underNpm, read: proc({}), now: 250 })).toBe(250)
  })

  it('reads a stat line whose command name holds spaces and parentheses', () => {
    expect(parseStat(stat(7, 'npm (a) b', 3, 12_345))).toEqual({ ppid: 3, startedAt: 123.45 })
  })

  it('tells npm and the shell it runs scripts in from other programs', () => {
    expect(launcherKind('npm start           ')).toBe('npm')
    expect(launcherKind('node\0/usr/lib/node_modules/npm/bin/npm-cli.js\0start\0')).toBe('npm')
    expect(launcherKind('sh\0-c\0node scripts/start.mjs\0')).toBe('shell')
    expect(launcherKind('/bin/sh\0-c\0tsx src/node.ts\0')).toBe('shell')
    expect(launcherKind('bash\0')).toBeUndefined()
    expect(launcherKind('node\0scripts/start.mjs\0')).toBeUndefined()
    expect(launcherKind('npmx\0')).toBeUndefined()
  })

  it.runIf(process.platform === 'linux')("under a real npm run, counts npm's own start too", () => {
    // A package whose script prints both clocks, run the way a user runs `npm start`.
    const dir = mkdtempSync(join(tmpdir(), 'tinycrm-launch-'))
    // tsx (the TypeScript loader) from this checkout: the temp dir has no node_modules.
    const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href
    const module = pathToFileURL(fileURLToPath(new URL('./launch-time.ts', import.meta.url))).href
    writeFileSync(
      join(dir, 'print.mjs'),
      `const { msSinceLaunch } = await import(${JSON.stringify(module)})
       console.log(JSON.stringify({ own: Math.round(performance.now()), launch: msSinceLaunch() }))`,
    )
    writeFileSync(
      join(dir, 'package.json'),
      JSON.stringify({ scripts: { go: `node --import ${JSON.stringify(tsx)} print.mjs` } }),
    )
    try {
      const run = spawnSync('npm', ['run', '-s', 'go'], {
        cwd: dir,
        encoding: 'utf8',
      })
      expect(run.status, run.stderr).toBe(0)
      const { own, launch } = JSON.parse(run.stdout.trim().split('\n').at(-1)!)
      // npm's own start (a Node process loading npm) comes on top of the script's process.
      expect(launch).toBeGreaterThan(own + 20)
      expect(launch).toBeLessThan(own + 60_000)
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})
