// The db factory's value types on a real PostgreSQL server through pg (see ./types.test.ts).
import { afterAll, beforeAll, expect, inject, it } from 'vitest'
import { openNodeDb, type NodeDb } from './node.js'
import { EXPECTED, readTypes } from '../../test/support/db-types.js'

let server: NodeDb

beforeAll(async () => {
  server = await openNodeDb({ databaseUrl: inject('postgresUrl'), poolSize: 1 })
})
afterAll(() => server.close())

it('pg', async () => {
  expect(await readTypes(server.db)).toEqual(EXPECTED)
})
