// PGlite's buffer pool is sized to the database when it opens (./pglite-buffers.ts): the small pool
// while TinyCRM's database fits in it (a quicker start, less memory), the large one once it has
// outgrown it. On data directories, as `npm start` opens them.
import { mkdirSync, mkdtempSync, rmSync, truncateSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { openNodeDb, type NodeDb } from './node.js'
import { LARGE_POOL_MB, SMALL_POOL_MB, sharedBuffersMb } from './pglite-buffers.js'

const dirs: string[] = []
const tempDir = () => {
  const dir = mkdtempSync(join(tmpdir(), 'tinycrm-buffers-'))
  dirs.push(dir)
  return dir
}
afterAll(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })))

/** A data directory whose databases (under base/) hold files of these sizes in MB. */
function dataDir(databases: Record<string, number[]>) {
  const dir = tempDir()
  for (const [oid, files] of Object.entries(databases)) {
    mkdirSync(join(dir, 'base', oid), { recursive: true })
    files.forEach((mb, i) => {
      const file = join(dir, 'base', oid, String(16_384 + i))
      writeFileSync(file, '')
      truncateSync(file, mb * 2 ** 20)
    })
  }
  return dir
}

describe('the pool for a data directory', () => {
  it('is the small one before there is any database', () => {
    expect(sharedBuffersMb(join(tempDir(), 'missing'))).toBe(SMALL_POOL_MB)
    expect(sharedBuffersMb(tempDir())).toBe(SMALL_POOL_MB)
  })

  it("is the small one while TinyCRM's database fits in it, however large the templates", () => {
    expect(sharedBuffersMb(dataDir({ 1: [7], 4: [7], 5: [8, 8] }))).toBe(SMALL_POOL_MB)
    expect(sharedBuffersMb(dataDir({ 1: [40], 4: [40], 5: [9] }))).toBe(SMALL_POOL_MB)
  })

  it('is the large one once the database has outgrown the small one', () => {
    expect(sharedBuffersMb(dataDir({ 1: [7], 4: [7], 5: [8, 8, 1] }))).toBe(LARGE_POOL_MB)
  })
})

/** Opens `dataDir` as the server does, runs `work` on it (if any), closes it; the pool it had. */
async function openedPool(dataDir: string, work?: (node: NodeDb) => Promise<unknown>) {
  const node = await openNodeDb({ dataDir })
  try {
    const { rows } = await node.pglite!.query<{ shared_buffers: string }>('SHOW shared_buffers')
    await work?.(node)
    return rows[0]!.shared_buffers
  } finally {
    await node.close()
  }
}

describe('a PGlite data directory', () => {
  it('starts on the small pool, and on the large one after its database has grown', async () => {
    const dir = tempDir()
    // 20 MB of rows that do not compress (TOAST would shrink repeated text).
    const grow = (node: NodeDb) =>
      node.pglite!.exec(`CREATE TABLE filler AS
        SELECT g, md5(g::text) || md5((g + 1)::text) AS a, md5((g + 2)::text) AS b
        FROM generate_series(1, 170000) g`)
    expect(await openedPool(dir, grow)).toBe(`${SMALL_POOL_MB}MB`)
    expect(await openedPool(dir)).toBe(`${LARGE_POOL_MB}MB`)
  }, 60_000)

  it('in memory (tests, fixtures) has the large pool, as before', async () => {
    expect(await openedPool('memory://')).toBe(`${LARGE_POOL_MB}MB`)
  })
})
