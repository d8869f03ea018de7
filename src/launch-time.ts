// How long `npm start` has kept its user waiting, for the server's "ready" line. The server's own
// clock (performance.now()) starts with its process, but `npm start` first starts npm and the
// shell npm runs the script in: 280 ms of a warm start's wait, measured on Node 20 with npm 11.
// On Linux their start times are in /proc, so the figure counts from npm's start; elsewhere (or
// without npm) from this process's start. Node only (the Node entry, ./node.ts).
import { readFileSync } from 'node:fs'

/** Linux's USER_HZ: the unit of a start time in /proc/<pid>/stat. */
const TICKS_PER_SECOND = 100

/** A /proc/<pid>/stat line's parent pid and start time (seconds since boot). The command name in
 *  parentheses may hold spaces and parentheses itself, so fields are counted after its last ')'. */
export function parseStat(stat: string): { ppid: number; startedAt: number } {
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ') // from field 3, the state
  return { ppid: Number(fields[1]), startedAt: Number(fields[19]) / TICKS_PER_SECOND }
}

/** What a process is, from its /proc/<pid>/cmdline (NUL-separated; npm retitles itself "npm start"
 *  with trailing spaces). */
export function launcherKind(cmdline: string): 'npm' | 'shell' | undefined {
  if (/^npm(\s|\0|$)/.test(cmdline) || /\0[^\0]*npm-cli\.js(\0|$)/.test(cmdline)) return 'npm'
  if (/^(\/bin\/|\/usr\/bin\/)?(sh|bash|dash)\0-c\0/.test(cmdline)) return 'shell'
  return undefined
}

export interface LaunchOptions {
  read?(path: string): string
  env?: NodeJS.ProcessEnv
  platform?: NodeJS.Platform
  ppid?: number
  /** This process's own clock, in ms since it started. */
  now?: number
}

/** Milliseconds since `npm start` began: up through the shell npm ran the script in to npm itself,
 *  and no further (a script that ran `npm start` is not part of the wait). Never less than this
 *  process's own age; that age when the chain cannot be read. */
export function msSinceLaunch({
  read = (path) => readFileSync(path, 'utf8'),
  env = process.env,
  platform = process.platform,
  ppid = process.ppid,
  now = performance.now(),
}: LaunchOptions = {}): number {
  const own = Math.round(now)
  if (!env.npm_lifecycle_event || platform !== 'linux') return own
  try {
    for (let pid = ppid, hops = 0; pid > 1 && hops < 3; hops++) {
      const kind = launcherKind(read(`/proc/${pid}/cmdline`))
      if (!kind) return own
      const { ppid: parent, startedAt } = parseStat(read(`/proc/${pid}/stat`))
      if (kind === 'npm') {
        const uptime = Number(read('/proc/uptime').split(' ')[0])
        return Math.max(own, Math.round((uptime - startedAt) * 1000))
      }
      pid = parent
    }
  } catch {
    // no /proc, or a process gone: this process's own age
  }
  return own
}
