// A process that competes for data-directory locks, for src/db/lock.test.ts. For each directory named
// on the command line it waits for `<dir>.go`, calls lockDataDir once, and writes what happened to
// `<dir>.<id>.result`. Locks it wins are held until it is told to exit (a `done` file in argv[2]).
import { existsSync, renameSync, writeFileSync } from 'node:fs'
import { DataDirLockedError, lockDataDir } from '../../src/db/lock.js'

const [done, id, ...dirs] = process.argv.slice(2)
const wait = () => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1)

for (const dir of dirs) {
  while (!existsSync(`${dir}.go`)) wait()
  let result: string
  try {
    lockDataDir(dir)
    result = 'won'
  } catch (err) {
    result = err instanceof DataDirLockedError ? `refused:${err.pid}` : `error:${String(err)}`
  }
  // Written whole, then renamed: the test polls for the name and must never read half a file.
  writeFileSync(`${dir}.${id}.tmp`, result)
  renameSync(`${dir}.${id}.tmp`, `${dir}.${id}.result`)
}
while (!existsSync(done!)) wait()
