// What a request's items do together, per email: ingest's statement may touch a row only once,
// so the items (identify, ping; a batch may name one email many times) are folded into one row
// per email before they are sent (./upsert.ts).
import type { BatchItem } from './schemas.js'

/** An item to ingest. `valuesAt`, set only by a CSV import (never by the API), is the time of its
 *  status and params where it differs from its activity's (`timestamp`): a file without times
 *  changing a known relation dates the change at the import and leaves its last activity. */
export type IngestItem = BatchItem & { valuesAt?: Date }

/** One group of items for the same email, folded into what they do together. */
export interface Row {
  i: number
  email: string
  name: string | null
  /** The status with the newest time among the items (a later item wins a tie), and that time. */
  status: string | null
  status_at: string | null
  /** Shallow patch of params, each key the value with the newest time: null removes the key. */
  patch: Record<string, unknown>
  /** The time of each patched key (epoch seconds) where it is not `at`. */
  patch_at: Record<string, number>
  /** Set-once params: each key the value of the earliest item that sent it. */
  once: Record<string, unknown> | null
  /** The newest time of the group's identify items, epoch seconds. */
  at: number
  first_ts: string
  last_ts: string
  ping: boolean
}

/** Folds the items per email (a batch may name one email many times; one statement may touch a row
 *  only once): the last non-empty name, and newest wins for the status and each param key (a later
 *  item wins a tie), as the statement applies them to what is stored; the earliest value of a
 *  set-once key; the widest time span. A ping folded into an identify of the same batch finds its
 *  customer. */
export function fold(items: IngestItem[], receivedAt: Date): { rows: Row[]; groupOf: number[] } {
  const byEmail = new Map<string, Row>()
  // Per row: the time (epoch seconds) of each patched key and of each set-once key.
  const keyTimes = new Map<Row, { patch: Map<string, number>; once: Map<string, number> }>()
  const rows: Row[] = []
  const groupOf: number[] = []
  for (const item of items) {
    const time = item.timestamp ?? receivedAt
    const ts = time.toISOString()
    // The time of its status and params (newest wins, history); `ts` is its activity's.
    const values = item.valuesAt ?? time
    const vts = values.toISOString()
    const sec = values.getTime() / 1000
    let row = byEmail.get(item.email)
    if (!row) {
      row = {
        i: rows.length,
        email: item.email,
        name: null,
        status: null,
        status_at: null,
        patch: Object.create(null) as Record<string, unknown>,
        patch_at: Object.create(null) as Record<string, number>,
        once: null,
        at: sec,
        first_ts: ts,
        last_ts: ts,
        ping: true,
      }
      byEmail.set(item.email, row)
      keyTimes.set(row, { patch: new Map(), once: new Map() })
      rows.push(row)
    }
    groupOf.push(row.i)
    if (ts > row.last_ts) row.last_ts = ts
    if (item.type === 'ping') continue
    if (row.ping || ts < row.first_ts) row.first_ts = ts
    if (row.ping || sec > row.at) row.at = sec
    row.ping = false
    const name = item.name?.trim()
    if (name) row.name = name
    if (item.status && (row.status_at === null || vts >= row.status_at)) {
      row.status = item.status
      row.status_at = vts
    }
    const times = keyTimes.get(row)!
    // Assignment onto a null-prototype object keeps "__proto__" and friends as plain keys.
    for (const [k, v] of Object.entries(item.params ?? {})) {
      if ((times.patch.get(k) ?? -Infinity) > sec) continue
      row.patch[k] = v
      times.patch.set(k, sec)
    }
    for (const [k, v] of Object.entries(item.paramsOnce ?? {})) {
      if (v === null || (times.once.get(k) ?? Infinity) <= sec) continue
      row.once ??= Object.create(null) as Record<string, unknown>
      row.once[k] = v
      times.once.set(k, sec)
    }
  }
  for (const row of rows) {
    for (const [k, sec] of keyTimes.get(row)!.patch) if (sec !== row.at) row.patch_at[k] = sec
  }
  return { rows, groupOf }
}
