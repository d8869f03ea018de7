// The db factory's promise to the code above it: on every driver, bigints come back as numbers and
// json/jsonb as values, never as text (the code has no `typeof x === 'string'` fallbacks). PGlite
// and Neon's HTTP driver here; pg in ./types.pg.test.ts.
import { afterAll, beforeAll, expect, it } from 'vitest'
import { openNeonDb } from './neon.js'
import { startNeonHttpEndpoint, type NeonHttpEndpoint } from '../../scripts/neon-http-endpoint.js'
import { useTestDb } from '../../test/support/db.js'
import { EXPECTED, readTypes } from '../../test/support/db-types.js'

const t = useTestDb()
let endpoint: NeonHttpEndpoint

beforeAll(async () => {
  endpoint = await startNeonHttpEndpoint({ pglite: t.pglite })
})
afterAll(async () => {
  await endpoint?.close()
})

it('PGlite', async () => {
  expect(await readTypes(t.db)).toEqual(EXPECTED)
})

it('Neon over HTTP', async () => {
  const neon = openNeonDb('postgres://tinycrm:dev@localhost/tinycrm', {
    fetchEndpoint: endpoint.url,
  })
  expect(await readTypes(neon)).toEqual(EXPECTED)
})
