// `npm run migrate`: brings the Postgres database at DATABASE_URL (Neon, or any server) to the latest
// schema in migrations/. It runs from Node over TCP (pg), never over Neon's HTTP driver: Kysely's
// Migrator holds a lock across its statements, and over HTTP every statement is its own session.
// `npm run deploy` runs the same function before it deploys the Worker.
import { pathToFileURL } from 'node:url'
import { migrateToLatest } from '../src/db/migrate.js'
import { openNodeDb } from '../src/db/node.js'

const MISSING_URL = `DATABASE_URL is not set.

Set it to your Postgres connection string for this command, e.g. Neon's (console → your project →
Connect → copy the connection string):

  DATABASE_URL='postgresql://USER:PASSWORD@ep-example-123456.eu-central-1.aws.neon.tech/neondb?sslmode=require' npm run %s

The embedded database of \`npm start\` migrates itself at start-up; it needs no command.`

/** DATABASE_URL from the environment, or a message saying how to set it and exit code 1. */
export function requireDatabaseUrl(command: string, env: NodeJS.ProcessEnv = process.env): string {
  const url = env.DATABASE_URL?.trim()
  if (!url) fail(MISSING_URL.replace('%s', command))
  if (!/^postgres(ql)?:\/\//.test(url)) {
    fail(
      'DATABASE_URL must be a postgres:// or postgresql:// connection string (Neon: Connect → copy).',
    )
  }
  return url
}

/** Host and database of a connection string, for messages: never the password. */
export function describeUrl(url: string): string {
  const u = new URL(url)
  return `${u.hostname}${u.port ? `:${u.port}` : ''}${u.pathname}`
}

/** Applies the pending migrations; returns the names applied (none when already up to date). */
export async function migrateDatabase(databaseUrl: string): Promise<string[]> {
  const { db, close } = await openNodeDb({ databaseUrl, poolSize: 1 })
  try {
    return await migrateToLatest(db)
  } finally {
    await close()
  }
}

/** Migrates and prints what happened; a failure prints the reason (no stack) and exits 1. */
export async function runMigrations(databaseUrl: string): Promise<void> {
  const where = describeUrl(databaseUrl)
  console.log(`Migrating ${where} …`)
  let applied: string[]
  try {
    applied = await migrateDatabase(databaseUrl)
  } catch (err) {
    const e = err as { message?: string; code?: string }
    fail(`Migration of ${where} failed${e.code ? ` (${e.code})` : ''}: ${e.message ?? String(err)}`)
  }
  if (applied.length === 0) console.log('Schema already up to date.')
  for (const name of applied) console.log(`  applied ${name}`)
}

function fail(message: string): never {
  console.error(message)
  process.exit(1)
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  await runMigrations(requireDatabaseUrl('migrate'))
}
