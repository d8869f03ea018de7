// The soak's merge groups (src/ingest/soak.pg.test.ts): pairs of emails, x and y, that the client
// loops write to (identify, ping, batches naming both) while a curator loop merges them, undoes
// merges and deletes customers, all over HTTP at once. The model: every param key is written once
// and acknowledged with the id of the customer it went to; the curator, who alone merges, undoes
// and deletes, keeps the graph of which customer was merged into which. At the end, a key whose
// customer was deleted (itself, or the one it was merged into) is nowhere; every other key is on
// the customer its write's customer leads to, with its value and activity; no email belongs to
// two customers; an undo was refused only with the "changed" message. Test support, not app code.

type Rng = {
  next(): number
  int(n: number): number
  chance(p: number): boolean
  pick<T>(xs: readonly T[]): T
}

interface Ack {
  group: number
  email: string
  project: number
  key?: string
  at: number
  customerId: number
}

interface Person {
  id: number
  email: string
  aliases: string[]
  projects: Record<string, { params: Record<string, unknown>; lastActivityAt: string }>
}

/** The parts of the API's answers read here. */
interface Reply {
  status: number
  body: {
    customerId: number
    found?: boolean
    results: { ok: boolean; customerId: number; found?: boolean }[]
    customers: { id: number }[]
    nextUrl: string | null
    customer: Person
    mergeId: number
    error?: { message: string }
  }
}

export class MergeGroups {
  private readonly acks: Ack[] = []
  /** The curator's graph: absorbed id → survivor id, for merges not undone. */
  private readonly parent = new Map<number, number>()
  private readonly erased = new Set<number>()
  /** The group's merge that may still be undone: its id, and who moved to the survivor with it. */
  private readonly open = new Map<number, { mergeId: number; absorbed: number; moved: number[] }>()
  readonly failures: string[] = []
  readonly counts = { writes: 0, merges: 0, undone: 0, refused: 0, deletes: 0 }
  private seq = 0

  constructor(
    private readonly opts: {
      baseUrl: string
      keys: string[]
      slugs: string[]
      token: string
      groups: number
    },
  ) {}

  private emails(g: number) {
    return [`grp${g}-x@example.com`, `grp${g}-y@example.com`] as const
  }

  private fail(msg: string) {
    if (this.failures.length < 20) this.failures.push(msg)
  }

  private async call(method: string, path: string, token: string, body?: unknown): Promise<Reply> {
    const res = await fetch(this.opts.baseUrl + path, {
      method,
      headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    })
    return { status: res.status, body: (await res.json()) as Reply['body'] }
  }

  /** One request of a client loop on a random group: an identify or a ping of one of its emails,
   *  or a batch naming both. */
  async write(rng: Rng) {
    const group = rng.int(this.opts.groups)
    const [x, y] = this.emails(group)
    const own = rng.chance(0.5) ? x : y
    const other = own === x ? y : x
    const project = rng.int(this.opts.keys.length)
    const key = this.opts.keys[project]!
    // Each write has its own time, before now: its activity must be reached, never lost.
    const at = Date.now() - 86_400_000 + this.seq * 10
    const item = (type: 'identify' | 'ping', email: string) => {
      const k = type === 'identify' ? `g${group}w${++this.seq}` : undefined
      return {
        type,
        email,
        key: k,
        body: {
          email,
          timestamp: new Date(at).toISOString(),
          ...(k ? { params: { [k]: at } } : {}),
        },
      }
    }
    const roll = rng.next()
    const items =
      roll < 0.15
        ? [item('identify', own), item('identify', other), item('ping', own)]
        : [item(roll < 0.75 ? 'identify' : 'ping', own)]
    const r =
      items.length > 1
        ? await this.call('POST', '/v1/batch', key, {
            batch: items.map((it) => ({ type: it.type, ...it.body })),
          })
        : await this.call('POST', `/v1/${items[0]!.type}`, key, items[0]!.body)
    this.counts.writes++
    if (r.status !== 200)
      return this.fail(`group ${items[0]!.type}: ${r.status} ${JSON.stringify(r.body)}`)
    const results = items.length > 1 ? r.body.results : [{ ok: true, ...r.body }]
    items.forEach((it, i) => {
      const res = results[i]
      if (!res?.ok) return this.fail(`group batch item: ${JSON.stringify(res)}`)
      if (it.type === 'ping' && !res.found) return
      this.acks.push({
        group,
        email: it.email,
        project,
        key: it.key,
        at,
        customerId: res.customerId,
      })
    })
  }

  /** Every live customer of the groups, with its aliases (the emails merged into it). */
  private async people(filter = 'grp'): Promise<Person[]> {
    const out: Person[] = []
    let next: string | null = `/v1/customers?q=${filter}&limit=200`
    while (next) {
      const page: Reply = await this.call('GET', next, this.opts.token)
      if (page.status !== 200) throw new Error(`list: ${page.status} ${JSON.stringify(page.body)}`)
      for (const c of page.body.customers) {
        const one = await this.call('GET', `/v1/customers/${c.id}`, this.opts.token)
        if (one.status === 200) out.push(one.body.customer)
      }
      next = page.body.nextUrl
    }
    return out
  }

  private root(id: number) {
    while (this.parent.has(id)) id = this.parent.get(id)!
    return id
  }

  private async undo(g: number) {
    const open = this.open.get(g)!
    this.open.delete(g)
    const r = await this.call('POST', `/v1/merges/${open.mergeId}/undo`, this.opts.token)
    if (r.status === 200) {
      this.counts.undone++
      this.parent.delete(open.absorbed)
      for (const id of open.moved) if (id !== open.absorbed) this.parent.set(id, open.absorbed)
    } else if (r.status === 409 && /changed since the merge/.test(r.body.error?.message ?? '')) {
      this.counts.refused++
    } else this.fail(`undo: ${r.status} ${JSON.stringify(r.body)}`)
  }

  /** The curator: until `done()`, picks a group and merges its two customers, undoes their merge
   *  or deletes one of them, as their state allows. */
  async curate(rng: Rng, done: () => boolean) {
    while (!done()) {
      const g = rng.int(this.opts.groups)
      const [x, y] = this.emails(g)
      const all = await this.people(`grp${g}-`)
      const owner = (e: string) => all.filter((p) => p.email === e || p.aliases.includes(e))
      const [ox, oy] = [owner(x), owner(y)]
      if (ox.length > 1 || oy.length > 1) this.fail(`group ${g}: an email has two customers`)
      const [a, b] = [ox[0], oy[0]]
      const open = this.open.get(g)
      if (a && b && a.id !== b.id && rng.chance(0.85)) {
        const [survivor, absorbed] = rng.chance(0.5) ? [a.id, b.id] : [b.id, a.id]
        const moved = [
          absorbed,
          ...[...this.parent.keys()].filter((k) => this.root(k) === absorbed),
        ]
        const r = await this.call('POST', '/v1/customers/merge', this.opts.token, {
          survivorId: survivor,
          absorbedId: absorbed,
        })
        if (r.status !== 200) this.fail(`merge: ${r.status} ${JSON.stringify(r.body)}`)
        else {
          this.counts.merges++
          for (const id of moved) this.parent.set(id, survivor)
          this.open.set(g, { mergeId: r.body.mergeId, absorbed, moved })
          // Undone at once, half the time: before the writers reach it, sometimes.
          if (rng.chance(0.5)) await this.undo(g)
        }
      } else if (a && b && a.id === b.id && open && rng.chance(0.7)) {
        await this.undo(g)
      } else if (a && rng.chance(0.3)) {
        const victim = rng.chance(0.5) || !b ? a.id : b.id
        const r = await this.call('DELETE', `/v1/customers/${victim}`, this.opts.token)
        if (r.status !== 200) this.fail(`delete: ${r.status} ${JSON.stringify(r.body)}`)
        else {
          this.counts.deletes++
          for (const id of [victim, ...this.parent.keys()]) {
            if (this.root(id) === victim) this.erased.add(id)
          }
          for (const id of this.erased) this.parent.delete(id)
          this.open.delete(g)
        }
      }
      await new Promise((r) => setTimeout(r, rng.int(20)))
    }
  }

  /** The database, through the API, against the model. */
  async check(): Promise<string[]> {
    const all = await this.people()
    for (let g = 0; g < this.opts.groups; g++) {
      for (const email of this.emails(g)) {
        const owners = all.filter((p) => p.email === email || p.aliases.includes(email))
        if (owners.length > 1) this.fail(`${email} belongs to ${owners.map((p) => p.id)}`)
      }
    }
    const byId = new Map(all.map((p) => [p.id, p]))
    for (const a of this.acks) {
      const slug = this.opts.slugs[a.project]!
      const what = `${a.key ?? 'a ping'} for ${a.email} (customer ${a.customerId})`
      if (this.erased.has(a.customerId)) {
        if (a.key && all.some((p) => Object.values(p.projects).some((r) => a.key! in r.params))) {
          this.fail(`${what}: its customer was deleted, yet it is still there`)
        }
        continue
      }
      const rel = byId.get(this.root(a.customerId))?.projects[slug]
      if (!rel) this.fail(`${what}: customer ${this.root(a.customerId)} has no ${slug} relation`)
      else if (a.key && rel.params[a.key] !== a.at) this.fail(`${what}: lost`)
      else if (+new Date(rel.lastActivityAt) < a.at) this.fail(`${what}: activity behind`)
    }
    return this.failures
  }
}
