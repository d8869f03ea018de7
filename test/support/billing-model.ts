// The reference model of the billing tests: each event applied once, in order (`created`, then the
// tie-breaks of orderKey()), one after the other — the plain way, with none of the statement's
// merging — then each person's subscriptions summed up as the README says. The database must end
// equal to it whatever order, duplication and failures the events went through.
import type { BillingEvent } from '../../src/billing/events.js'
import { toMajor } from '../../src/billing/money.js'

type Fields = Record<string, { v: unknown; at: string }>

export interface ModelRelation {
  status: 'free' | 'trial' | 'paid' | 'churned'
  params: Record<string, unknown>
}

export interface Model {
  /** Per link email (the first email of its billing customers, in event order). */
  relations: Map<string, ModelRelation>
  /** Billing customer → its link email, when it has one. */
  linkOf: Map<string, string>
  /** Events of billing customers that never got an email. */
  waiting: number
}

const RANK: Record<string, number> = { paid: 3, trial: 2, churned: 1 }

export function billingModel(events: BillingEvent[]): Model {
  const unique = [...new Map(events.map((e) => [e.id, e])).values()]
  unique.sort((a, b) => (a.order < b.order ? -1 : a.order > b.order ? 1 : 0))
  const key = (e: BillingEvent) => e.customer ?? `email:${e.email}`

  const linkOf = new Map<string, string>()
  const subsOf = new Map<string, Map<string, Fields>>()
  const eventsOf = new Map<string, number>()
  for (const e of unique) {
    const bc = key(e)
    eventsOf.set(bc, (eventsOf.get(bc) ?? 0) + 1)
    if (e.email && !linkOf.has(bc)) linkOf.set(bc, e.email)
    const subs = subsOf.get(bc) ?? new Map<string, Fields>()
    subsOf.set(bc, subs)
    if (!e.subscription) continue
    const fields = subs.get(e.subscription.id) ?? {}
    for (const [field, v] of Object.entries(e.subscription.patch)) {
      if (v !== undefined) fields[field] = { v, at: e.order }
    }
    subs.set(e.subscription.id, fields)
  }

  const byEmail = new Map<string, { bc: string; id: string; fields: Fields }[]>()
  let waiting = 0
  for (const [bc, subs] of subsOf) {
    const email = linkOf.get(bc)
    if (!email) {
      waiting += eventsOf.get(bc)!
      continue
    }
    const list = byEmail.get(email) ?? []
    for (const [id, fields] of subs) list.push({ bc, id, fields })
    byEmail.set(email, list)
  }

  const relations = new Map<string, ModelRelation>()
  for (const [email, subs] of byEmail) {
    const rows = subs.map((s) => {
      const status = s.fields.status?.v as string | null | undefined
      return {
        ...s,
        status,
        rank: (status && RANK[status]) || 0,
        mrr: s.fields.mrr?.v as number | undefined,
        currency: (s.fields.currency?.v as string | null | undefined) ?? null,
        at: s.fields.status?.at ?? '',
      }
    })
    rows.sort(
      (x, y) =>
        y.rank - x.rank ||
        (y.mrr ?? -Infinity) - (x.mrr ?? -Infinity) ||
        (y.at > x.at ? 1 : y.at < x.at ? -1 : 0) ||
        (x.id < y.id ? -1 : 1),
    )
    const primary = rows[0]
    if (!primary) {
      const bc = [...linkOf].find(([, e]) => e === email)![0]
      relations.set(email, { status: 'free', params: { billing_customer_id: bc } })
      continue
    }
    const paying = rows.filter((r) => r.status === 'paid' && r.currency === primary.currency)
    const digits = (primary.fields.digits?.v as number | undefined) ?? 2
    const value = (field: string) => primary.fields[field]?.v ?? null
    relations.set(email, {
      status: primary.rank > 0 ? (primary.status as ModelRelation['status']) : 'free',
      params: {
        billing_status: value('billing_status'),
        plan: value('plan'),
        mrr: toMajor(
          paying.reduce((sum, r) => sum + (r.mrr ?? 0), 0),
          digits,
        ),
        currency: value('currency'),
        trial_ends: value('trial_ends'),
        cancel_at: value('cancel_at'),
        billing_customer_id: value('customer') ?? primary.bc,
      },
    })
  }
  return { relations, linkOf, waiting }
}

/** Params as stored: a null value means the key is absent. */
export function withoutNulls(params: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(params).filter(([, v]) => v !== null))
}
