// The data directory's lock, taken by real processes at the same instant: exactly one wins, a stale
// lock is taken over once, and a pid that now belongs to another process does not keep a lock alive.
import { spawn, spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { DataDirLockedError, lockDataDir } from './lock.js'

const root = mkdtempSync(join(tmpdir(), 'tinycrm-lock-'))
afterAll(() => rmSync(root, { recursive: true, force: true }))

/** A pid that no process has any more. */
function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'])
  return Number(child.stdout.toString())
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

async function until(check: () => boolean) {
  while (!check()) await sleep(2)
}

/** `racers` processes take the lock of each directory at once; the results per directory. */
async function race(dirs: string[], racers: number): Promise<string[][]> {
  const done = join(root, `done-${Math.random()}`)
  const children = Array.from({ length: racers }, (_, id) =>
    spawn(
      process.execPath,
      ['--import', 'tsx', 'test/support/lock-child.ts', done, String(id), ...dirs],
      {
        stdio: 'inherit',
      },
    ),
  )
  const exited = children.map((c) => new Promise((r) => c.on('exit', r)))
  const results: string[][] = []
  try {
    for (const dir of dirs) {
      writeFileSync(`${dir}.go`, '')
      const files = children.map((_, id) => `${dir}.${id}.result`)
      await until(() => files.every((f) => existsSync(f)))
      results.push(files.map((f) => readFileSync(f, 'utf8')))
    }
  } finally {
    writeFileSync(done, '')
    await Promise.all(exited)
  }
  return results
}

function dirWithLock(name: string, content: string | undefined): string {
  const dir = join(root, name)
  mkdirSync(dir, { recursive: true })
  if (content !== undefined) writeFileSync(join(dir, 'tinycrm.lock'), content)
  return dir
}

describe('the data directory lock', () => {
  it('six processes at once on a free directory, or on one a dead process left locked: one wins', async () => {
    const dead = deadPid()
    const dirs = Array.from({ length: 12 }, (_, t) =>
      dirWithLock(
        `race-${t}`,
        // Free, today's format, and the pid-only format of earlier versions.
        t % 3 === 0
          ? undefined
          : t % 3 === 1
            ? JSON.stringify({ pid: dead, start: '1' })
            : String(dead),
      ),
    )
    const results = await race(dirs, 6)
    for (const perDir of results) {
      const outcomes = perDir.map((r) => (r.startsWith('refused:') ? 'refused' : r)).sort()
      expect(outcomes).toEqual(['refused', 'refused', 'refused', 'refused', 'refused', 'won'])
    }
    // Released when the winners exited.
    for (const dir of dirs) expect(existsSync(join(dir, 'tinycrm.lock'))).toBe(false)
  }, 120_000)

  it('refuses while the holder lives, naming its pid and the URL it serves', () => {
    const dir = dirWithLock('held', undefined)
    const holder = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)'])
    try {
      const start = readFileSync(`/proc/${holder.pid}/stat`, 'utf8').split(') ')[1]!.split(' ')[19]
      const lock = { pid: holder.pid, start, url: 'http://127.0.0.1:8787' }
      writeFileSync(join(dir, 'tinycrm.lock'), JSON.stringify(lock))
      let refused: unknown
      try {
        lockDataDir(dir)
      } catch (err) {
        refused = err
      }
      expect(refused).toBeInstanceOf(DataDirLockedError)
      expect((refused as Error).message).toContain(
        `pid ${holder.pid}, serving http://127.0.0.1:8787`,
      )
      expect((refused as Error).message).toContain('use the dashboard at http://127.0.0.1:8787')
    } finally {
      holder.kill()
    }
  })

  it('takes over a lock whose pid now belongs to an unrelated process', () => {
    const other = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)'])
    try {
      // The pid is alive, but it started at another time than the process that wrote the lock.
      const dir = dirWithLock('reused', JSON.stringify({ pid: other.pid, start: '1' }))
      const lock = lockDataDir(dir)
      expect(JSON.parse(readFileSync(join(dir, 'tinycrm.lock'), 'utf8')).pid).toBe(process.pid)
      lock.release()
      expect(existsSync(join(dir, 'tinycrm.lock'))).toBe(false)
    } finally {
      other.kill()
    }
  })
})
