// PGlite has no cross-process lock: two processes on one data directory both open it and rows are
// silently lost. So whoever opens a data directory first creates a lock file there naming itself, and
// anyone else refuses to start while that process is alive. A lock left by a dead process is taken over.
//
// Three things make this hold under races, not just in turn:
// - The lock file is created complete and atomically: written to a private file first, then hard-linked
//   to `tinycrm.lock` (link fails if the name exists). A reader never sees a half-written, empty lock.
// - Taking over a stale lock happens under a second, short-lived lock (`tinycrm.lock.takeover`): the
//   taker re-reads the lock under it and removes it only if it is still the stale one it judged. Without
//   it, two takers could each remove the other's fresh lock, and both would win.
// - A pid alone is not trusted: pids are reused. The lock records the holder's start time (Linux:
//   /proc/<pid>/stat), so a live process that is not the holder does not keep the lock alive.
import {
  closeSync,
  linkSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
  writeSync,
} from 'node:fs'
import { join } from 'node:path'

export class DataDirLockedError extends Error {
  override name = 'DataDirLockedError' as const
  constructor(
    readonly dataDir: string,
    readonly pid: number,
    /** The URL the holder serves, when it is a server (it writes it once listening). */
    readonly url?: string,
  ) {
    super(
      `The data directory ${dataDir} is in use by another TinyCRM process (pid ${pid}` +
        (url ? `, serving ${url}` : '') +
        '). PGlite allows one process per data directory: ' +
        (url
          ? `use the dashboard at ${url}, or stop that process first, `
          : 'stop that process first, ') +
        'or run this against a Postgres server with DATABASE_URL.',
    )
  }
}

/** What a lock file says about its holder. Older versions wrote the pid alone. */
interface Holder {
  pid: number
  /** The holder's start time in clock ticks since boot (Linux), to tell a reused pid apart. */
  start?: string
  url?: string
}

const LOCK = 'tinycrm.lock'
/** A takeover lock older than this was left by a process that died mid-takeover. */
const STALE_TAKEOVER_MS = 10_000

/** Field 22 of /proc/<pid>/stat: when the process started. Undefined where there is no /proc. */
function startTimeOf(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    // The command name (field 2) is in parentheses and may contain spaces: count from after it.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]
  } catch {
    return undefined
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'
  }
}

function holds(holder: Holder): boolean {
  if (holder.pid === process.pid || !alive(holder.pid)) return false
  if (holder.start === undefined) return true // an old lock file, or no /proc: the pid is all we know
  const start = startTimeOf(holder.pid)
  return start === undefined || start === holder.start
}

function parse(text: string): Holder | undefined {
  try {
    const value = JSON.parse(text) as Partial<Holder> | number
    if (typeof value === 'number') return Number.isInteger(value) ? { pid: value } : undefined
    if (typeof value?.pid !== 'number' || !Number.isInteger(value.pid)) return undefined
    return { pid: value.pid, start: value.start, url: value.url }
  } catch {
    return undefined
  }
}

function read(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8')
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw err
  }
}

/** Creates `path` with `content`, atomically; false if it already exists. */
function createComplete(path: string, content: string): boolean {
  const own = `${path}.${process.pid}.${Math.random().toString(36).slice(2)}`
  const fd = openSync(own, 'wx')
  try {
    writeSync(fd, content)
  } finally {
    closeSync(fd)
  }
  try {
    linkSync(own, path)
    return true
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false
    throw err
  } finally {
    rmSync(own, { force: true })
  }
}

const pause = (ms: number) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms)

/** Removes the lock at `path` if it still reads `stale`, under the takeover lock. */
function takeOver(path: string, stale: string): void {
  const mutex = `${path}.takeover`
  for (;;) {
    if (createComplete(mutex, String(process.pid))) break
    try {
      if (Date.now() - statSync(mutex).mtimeMs > STALE_TAKEOVER_MS) rmSync(mutex, { force: true })
    } catch {
      // gone already: try again
    }
    pause(5)
  }
  try {
    if (read(path) === stale) rmSync(path, { force: true })
  } finally {
    rmSync(mutex, { force: true })
  }
}

export interface DataDirLock {
  release(): void
  /** Records the URL this process serves, so a refused CLI can point at the dashboard. */
  setUrl(url: string): void
}

/** Takes the data directory's lock for this process; throws DataDirLockedError while another holds it. */
export function lockDataDir(dataDir: string): DataDirLock {
  const path = join(dataDir, LOCK)
  const me: Holder = { pid: process.pid, start: startTimeOf(process.pid) }
  for (let attempt = 0; attempt < 50; attempt++) {
    if (createComplete(path, JSON.stringify(me))) {
      let released = false
      const release = () => {
        if (released) return
        released = true
        if (read(path) === JSON.stringify(me)) rmSync(path, { force: true })
        process.off('exit', release)
      }
      process.on('exit', release)
      return {
        release,
        setUrl(url) {
          // Replaced whole (rename is atomic): a reader sees the old holder or the new, never half.
          me.url = url
          const next = `${path}.${process.pid}.url`
          writeFileSync(next, JSON.stringify(me))
          renameSync(next, path)
        },
      }
    }
    const text = read(path)
    if (text === undefined) continue // released in between: try again
    const holder = parse(text)
    if (holder && holds(holder)) throw new DataDirLockedError(dataDir, holder.pid, holder.url)
    takeOver(path, text)
  }
  throw new Error(`Could not lock ${dataDir}: its lock file keeps changing`)
}
