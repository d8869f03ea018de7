// PGlite has no cross-process lock: two processes on one data directory both open it and rows are
// silently lost. So whoever opens a data directory first writes its pid into a lock file there, and
// anyone else refuses to start while that process is alive. A lock left by a dead process is taken over.
import { closeSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs'
import { join } from 'node:path'

export class DataDirLockedError extends Error {
  override name = 'DataDirLockedError' as const
  constructor(
    readonly dataDir: string,
    readonly pid: number,
  ) {
    super(
      `The data directory ${dataDir} is in use by another TinyCRM process (pid ${pid}). ` +
        'PGlite allows one process per data directory: stop that process first, or run this ' +
        'against a Postgres server with DATABASE_URL.',
    )
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

/** Takes the data directory's lock for this process; returns the function that releases it. */
export function lockDataDir(dataDir: string): () => void {
  const path = join(dataDir, 'tinycrm.lock')
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(path, 'wx')
      writeSync(fd, String(process.pid))
      closeSync(fd)
      let released = false
      const release = () => {
        if (released) return
        released = true
        rmSync(path, { force: true })
        process.off('exit', release)
      }
      process.on('exit', release)
      return release
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err
      const pid = Number.parseInt(readFileSync(path, 'utf8'), 10)
      if (Number.isInteger(pid) && pid !== process.pid && alive(pid)) {
        throw new DataDirLockedError(dataDir, pid)
      }
      rmSync(path, { force: true }) // stale: its process is gone
    }
  }
  throw new Error(`Could not lock ${dataDir}`)
}
