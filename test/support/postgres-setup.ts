// vitest globalSetup of the `postgres` project: starts a throwaway PostgreSQL server (see
// ./postgres-server.ts), creates a migrated database in it and hands its URL to the tests as
// `inject('postgresUrl')`. Test files share that database and keep apart by seeding their own
// account.
import type { TestProject } from 'vitest/node'
import pg from 'pg'
import { openNodeDb } from '../../src/db/node.js'
import { startPostgres } from './postgres-server.js'

declare module 'vitest' {
  export interface ProvidedContext {
    postgresUrl: string
  }
}

export default async function setup(project: TestProject) {
  const server = await startPostgres()
  try {
    const admin = new pg.Client({ connectionString: server.url })
    await admin.connect()
    await admin.query('CREATE DATABASE tinycrm_test')
    await admin.end()

    const url = server.url.replace(/\/postgres$/, '/tinycrm_test')
    const { close } = await openNodeDb({ databaseUrl: url, migrate: true, poolSize: 1 })
    await close()
    project.provide('postgresUrl', url)
  } catch (err) {
    await server.stop()
    throw err
  }
  return () => server.stop()
}
