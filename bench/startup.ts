// `npm start` as a user runs it, on the embedded PGlite: once on a fresh data directory (the first
// run), then twice more on the same one (warm). The wait is from spawning `npm start` to the
// "ready at" line (npm's own start included); "printed" is the figure the server prints itself,
// which on Linux counts from npm's start too (src/launch-time.ts), so the two should agree.
import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

const ROOT = fileURLToPath(new URL('..', import.meta.url))

export interface StartupRun {
  run: 'fresh data dir' | 'warm'
  waitMs: number
  printedMs: number
  /** What the server printed before "ready" (its progress lines). */
  lines: string[]
}

export async function benchStartup(log: (message: string) => void): Promise<StartupRun[]> {
  const dir = mkdtempSync(join(tmpdir(), 'tinycrm-bench-startup-'))
  const dataDir = join(dir, 'data')
  try {
    const runs: StartupRun[] = []
    for (const run of ['fresh data dir', 'warm', 'warm'] as const) {
      log(`startup: npm start, ${run}`)
      runs.push({ run, ...(await npmStart(dataDir)) })
    }
    return runs
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

async function npmStart(dataDir: string) {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PORT: '0',
    HOST: '127.0.0.1',
    TINYCRM_DATA_DIR: dataDir,
  }
  delete env.DATABASE_URL
  const started = performance.now()
  // Its own process group: npm → sh → node, all stopped together.
  const child = spawn('npm', ['start', '--silent'], {
    cwd: ROOT,
    env,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let output = ''
  try {
    const waitMs = await new Promise<number>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`npm start did not start:\n${output}`)),
        120_000,
      )
      const onData = (chunk: Buffer) => {
        output += chunk.toString()
        if (/ready at /.test(output)) {
          clearTimeout(timer)
          resolve(performance.now() - started)
        }
      }
      child.stdout!.on('data', onData)
      child.stderr!.on('data', onData)
      child.once('exit', (code) => {
        clearTimeout(timer)
        reject(new Error(`npm start exited (${code}):\n${output}`))
      })
    })
    const printed = /ready at \S+ \(.*, (\d+) ms\)/.exec(output)
    const lines = output.split('\n').filter((l) => l.trim() && !/ready at /.test(l))
    return { waitMs: Math.round(waitMs), printedMs: Number(printed?.[1] ?? NaN), lines }
  } finally {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve))
      process.kill(-child.pid!, 'SIGTERM')
      await exited
    }
    // npm exits before the server has closed its database: the next start would find the data
    // directory still locked. Wait for the whole process group to be gone.
    while (groupAlive(child.pid!)) await new Promise((r) => setTimeout(r, 50))
  }
}

function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0)
    return true
  } catch {
    return false
  }
}
