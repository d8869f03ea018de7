// The CLI works on the same database as the server: the same environment (TINYCRM_DATA_DIR,
// DATABASE_URL, read by src/config.ts), overridable with --data-dir / --database-url. A PGlite data
// directory is locked while a server owns it (src/db/lock.ts), and openNodeDb refuses it then.
import { existsSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { readNodeConfig } from '../config.js'
import { openNodeDb, type NodeDb } from '../db/node.js'
import { CliError, str, type Values } from './command.js'

export interface Target {
  databaseUrl?: string
  dataDir: string
}

export function resolveTarget(values: Values, env: NodeJS.ProcessEnv): Target {
  const flagUrl = str(values, 'database-url')
  const flagDir = str(values, 'data-dir')
  if (flagUrl !== undefined && flagDir !== undefined) {
    throw new CliError('Give --database-url or --data-dir, not both')
  }
  let config
  try {
    // The flags win over the environment; a flag for one kind of database ignores the other's env.
    config = readNodeConfig({
      ...env,
      PORT: undefined,
      ...(flagUrl !== undefined ? { DATABASE_URL: flagUrl } : {}),
      ...(flagDir !== undefined ? { DATABASE_URL: '', TINYCRM_DATA_DIR: flagDir } : {}),
    })
  } catch (err) {
    throw new CliError((err as Error).message)
  }
  return { databaseUrl: config.databaseUrl, dataDir: config.dataDir }
}

/**
 * Opens (and migrates) the target database. A PGlite data directory without a database in it is
 * created only for commands that may start from nothing (`account create`); for the others it is
 * almost always a wrong TINYCRM_DATA_DIR, and an empty new database would hide that.
 */
export async function openTarget(
  target: Target,
  opts: { mayCreate: boolean; notice: (text: string) => void },
): Promise<NodeDb> {
  if (target.databaseUrl)
    return openNodeDb({ databaseUrl: target.databaseUrl, migrate: true, poolSize: 2 })
  const dir = resolve(target.dataDir)
  const exists = existsSync(join(dir, 'PG_VERSION'))
  if (!exists && !opts.mayCreate) {
    throw new CliError(
      `No TinyCRM database in ${dir}. Set TINYCRM_DATA_DIR (or --data-dir) to the server's data ` +
        'directory, or start with: npm run tinycrm -- account create --email EMAIL --password -',
    )
  }
  if (!exists) opts.notice(`Creating a new database in ${dir}\n`)
  return openNodeDb({ dataDir: dir, migrate: true })
}
