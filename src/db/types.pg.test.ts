// The db factory's value types on a real PostgreSQL server through pg (see ./types.test.ts).
import { afterAll, beforeAll, expect, it } from 'vitest'
import type { NodeDb } from './node.js'
import { openTestDb } from '../../test/support/pg-harness.js'
import { EXPECTED, readTypes } from '../../test/support/db-types.js'

let server: NodeDb

beforeAll(async () => {
  server = await openTestDb({ poolSize: 1 })
})
afterAll(() => server.close())

it('pg', async () => {
  expect(await readTypes(server.db)).toEqual(EXPECTED)
})
