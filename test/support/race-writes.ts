// One racing write, as the real-Postgres race tests (merges, project deletion) send it: identify
// (a param named `key`), ping, or a batch of both (identify `own` and `other` with params
// `${key}a` and `${key}b`, then ping `own`), all carrying the time `at`, so the test can tell
// afterwards whether each acknowledged write survived.
import type { Reply, ServedApp } from './pg-harness.js'

export type WriteKind = 'identify' | 'ping' | 'batch'
export const WRITE_KINDS: WriteKind[] = ['identify', 'ping', 'batch']

export interface WriteItem {
  type: 'identify' | 'ping'
  email: string
  /** The param an identify writes (its value is `at`); none for a ping. */
  key?: string
}

/** Sends the write with `apiKey`; answers the reply, the items sent and, when the reply is a 200,
 *  each item's result (an identify or ping answer is its batch item's shape). */
export async function sendRaceWrite(
  served: Pick<ServedApp, 'call'>,
  apiKey: string,
  write: { kind: WriteKind; own: string; other: string; key: string; at: number },
): Promise<{ reply: Reply; items: WriteItem[]; results: any[] }> {
  const { kind, own, other, key, at } = write
  const timestamp = new Date(at).toISOString()
  const items: WriteItem[] =
    kind === 'batch'
      ? [
          { type: 'identify', email: own, key: `${key}a` },
          { type: 'identify', email: other, key: `${key}b` },
          { type: 'ping', email: own },
        ]
      : kind === 'identify'
        ? [{ type: 'identify', email: own, key }]
        : [{ type: 'ping', email: own }]
  const body = (it: WriteItem) => ({
    email: it.email,
    timestamp,
    ...(it.key ? { params: { [it.key]: at } } : {}),
  })
  const reply =
    kind === 'batch'
      ? await served.call('POST', '/v1/batch', apiKey, {
          batch: items.map((it) => ({ type: it.type, ...body(it) })),
        })
      : await served.call('POST', `/v1/${kind}`, apiKey, body(items[0]!))
  const results =
    reply.status !== 200
      ? []
      : kind === 'batch'
        ? reply.body.results
        : [{ ok: true, ...reply.body }]
  return { reply, items, results }
}
