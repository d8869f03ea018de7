// Segment's batch route inside workerd, over the production path (Neon's HTTP driver to the local
// endpoint): a batch as @segment/analytics-node sends it is one HTTP query, its duplicate changes
// nothing, and calls carrying only a userId find the customer; a gzipped batch is read as plain.
import { env, exports } from 'cloudflare:workers'
import { neon, neonConfig, type NeonQueryFunction } from '@neondatabase/serverless'
import { beforeAll, describe, expect, inject, it } from 'vitest'
import type { WorkerEnv } from '../../src/worker.js'
import { generateProjectKey, hashKey, keyPrefix } from '../../src/lib/keys.js'

const { accountId } = inject('worker')
const bindings = env as unknown as WorkerEnv
const statsUrl = new URL('/_stats', inject('neonEndpoint')).href
const self = (exports as unknown as { default: Fetcher }).default

let sql: NeonQueryFunction<false, false>
let key: string
let projectId: number

// A project of its own: its key has the whole of the test limiter's budget.
beforeAll(async () => {
  neonConfig.fetchEndpoint = () => bindings.NEON_FETCH_ENDPOINT!
  sql = neon(bindings.DATABASE_URL!)
  key = generateProjectKey()
  const [project] = await sql`INSERT INTO projects (account_id, name, slug)
    VALUES (${accountId}, 'Segment source', 'segment-source') RETURNING id`
  projectId = Number(project!.id)
  await sql`INSERT INTO api_keys (project_id, prefix, key_hash)
    VALUES (${projectId}, ${keyPrefix(key)}, ${await hashKey(key)})`
})

async function served(): Promise<{ requests: number; queries: number }> {
  return (await fetch(statsUrl)).json()
}

/** Posts as @segment/analytics-node does: Basic auth, the key as user name, and writeKey in the body. */
async function postBatch(batch: unknown[]) {
  const res = await self.fetch('https://tinycrm.example/v1/batch', {
    method: 'POST',
    headers: {
      'Content-Type': 'application/json',
      'User-Agent': 'analytics-node-next/latest',
      Authorization: `Basic ${btoa(`${key}:`)}`,
    },
    body: JSON.stringify({ batch, writeKey: key, sentAt: new Date() }),
  })
  return { status: res.status, body: (await res.json()) as unknown }
}

async function relation(email: string) {
  const [row] = await sql`
    SELECT c.name, r.status, r.params, r.source, r.last_activity_at FROM customer_projects r
    JOIN customers c ON c.id = r.customer_id
    WHERE r.project_id = ${projectId} AND c.email = ${email}`
  return row
}

describe("Segment's batch in workerd", () => {
  const batch = [
    {
      type: 'identify',
      userId: 'w-1',
      messageId: 'node-next-1-a',
      traits: {
        email: 'segment-worker@example.com',
        firstName: 'Sam',
        lastName: 'Worker',
        plan: 'pro',
        $set_once: { source: 'producthunt' },
      },
      timestamp: '2026-03-01T00:00:00.000Z',
      context: {
        library: { name: '@segment/analytics-node', version: '3.1.0' },
        $set_once: { landing: '/pricing' },
      },
      _metadata: { nodeVersion: '20', jsRuntime: 'node' },
      integrations: {},
    },
    {
      type: 'track',
      userId: 'w-1',
      event: 'Upgraded',
      properties: { plan: 'pro' },
      messageId: 'node-next-1-b',
      timestamp: '2026-03-02T00:00:00.000Z',
    },
  ]

  // The first request starts the Worker: under a loaded machine (load 30 on 2 cores) that alone
  // took most of the project's 30 s default.
  it('applies a batch in one HTTP query and answers as Segment', { timeout: 120_000 }, async () => {
    const before = await served()
    const res = await postBatch(batch)
    const after = await served()
    expect(res).toEqual({ status: 200, body: { success: true } })
    expect({
      requests: after.requests - before.requests,
      queries: after.queries - before.queries,
    }).toEqual({ requests: 1, queries: 1 })
    const row = await relation('segment-worker@example.com')
    expect(row).toMatchObject({
      name: 'Sam Worker',
      status: 'free',
      params: { plan: 'pro', source: 'producthunt', landing: '/pricing' },
      source: 'segment',
    })
    expect(new Date(row!.last_activity_at).toISOString()).toBe('2026-03-02T00:00:00.000Z')
  })

  it('a duplicate of the batch changes nothing; only new messageIds are applied', async () => {
    const renamed = [{ ...batch[0], traits: { name: 'Replayed', plan: 'free' } }, batch[1]]
    expect((await postBatch(renamed)).status).toBe(200)
    expect(await relation('segment-worker@example.com')).toMatchObject({
      name: 'Sam Worker',
      params: { plan: 'pro' },
    })
    // A new call's $set_once finds the keys set: they stay as the first touch set them.
    const later = { ...batch[0], messageId: 'node-next-2-a', timestamp: '2026-03-03T00:00:00Z' }
    expect(
      (await postBatch([{ ...later, traits: { $set_once: { source: 'google' } } }])).status,
    ).toBe(200)
    expect((await relation('segment-worker@example.com'))!.params).toMatchObject({
      source: 'producthunt',
      landing: '/pricing',
    })
    const [recorded] = await sql`SELECT count(*)::int AS n FROM segment_messages
      WHERE project_id = ${projectId}`
    expect(recorded).toEqual({ n: 3 })
  })

  it('a gzipped batch (Content-Encoding: gzip, as analytics-python can send) is applied', async () => {
    const json = JSON.stringify({
      batch: [
        { ...batch[0], messageId: 'gzip-1-a', traits: { email: 'segment-gzip@example.com' } },
        { ...batch[1], messageId: 'gzip-1-b' },
      ],
    })
    const gzipped = new Blob([json]).stream().pipeThrough(new CompressionStream('gzip'))
    const post = (body: ArrayBuffer) =>
      self.fetch('https://tinycrm.example/v1/batch', {
        method: 'POST',
        headers: {
          'Content-Type': 'application/json',
          'Content-Encoding': 'gzip',
          Authorization: `Basic ${btoa(`${key}:`)}`,
        },
        body,
      })
    const bytes = await new Response(gzipped).arrayBuffer()
    // Cut short, it does not inflate: 400, nothing written.
    const cut = await post(bytes.slice(0, bytes.byteLength - 12))
    expect({ status: cut.status, body: await cut.json() }).toMatchObject({
      status: 400,
      body: { error: { code: 'invalid_json', message: 'The request body is not valid gzip' } },
    })
    const res = await post(bytes)
    expect({ status: res.status, body: await res.json() }).toEqual({
      status: 200,
      body: { success: true },
    })
    expect(await relation('segment-gzip@example.com')).toMatchObject({ source: 'segment' })
    const [recorded] = await sql`SELECT count(*)::int AS n FROM segment_messages
      WHERE project_id = ${projectId} AND message_id LIKE 'gzip-%'`
    expect(recorded).toEqual({ n: 2 })
  })
})
