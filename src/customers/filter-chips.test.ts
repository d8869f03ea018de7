// The filter builder's model against the parser: every URL the parser accepts becomes chips that
// write back to a URL the parser reads as the same filter, and each chip, written and read again,
// is itself (so editing one chip can lose nothing of it or of the others). Plain words per kind.
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { parseCustomerFilter } from './filter.js'
import type { CustomerFilter } from './filter-syntax.js'
import {
  chipProblem,
  chipsFromQuery,
  queryFromChips,
  readChip,
  sameChip,
  writeChip,
  type Chip,
} from './filter-chips.js'
import { describeChip } from './filter-words.js'

const now = new Date('2026-11-23T12:00:00Z')
const parse = (q: URLSearchParams) => parseCustomerFilter(q, { now })

/** A string value's spelling (quoted or not) is not part of its meaning. */
function meaning(f: CustomerFilter) {
  return {
    ...f,
    params: f.params.map((p) => ({
      ...p,
      values: p.values.map((v) => (v.type === 'string' ? { ...v, raw: '' } : v)),
    })),
  }
}

// Values as people (and attackers) write them, accepted or not: case, spaces, aliases, quotes.
const slug = fc.constantFrom('app-a', 'app-b', 'App-C', ' app-a ', 'x1', 'a--b', '-bad', 'ü')
const status = fc.constantFrom(
  'free',
  'trial',
  'paid',
  'churned',
  'trialing',
  'active',
  'Canceled',
  ' PAID',
  'gold',
)
const statuses = fc.array(status, { minLength: 1, maxLength: 4 }).map((s) => s.join(','))
const digits = fc.oneof(
  fc.nat(99_999).map(String),
  fc.constantFrom('007', '0', '123456', '1.5', '-1', ''),
)
const scope = fc.option(slug, { nil: undefined }).map((s) => (s === undefined ? '' : `@${s}`))
const moment = fc.oneof(
  digits.map((d) => `${d}d`),
  fc.constantFrom(
    '2026-01-01',
    '2026-02-31',
    '2026-01-01T09:00Z',
    '2026-01-01T09:00:30.5+02:00',
    '2026-1-1',
    ' 2026-03-03 ',
    'yesterday',
  ),
)
const key = fc.constantFrom(
  'plan',
  'mrr',
  'utm.source',
  '*.utm.source',
  'app-a.mrr',
  'App-A.mrr',
  '*.*.x',
  ' plan',
  'a b',
  "it's",
  '',
)
const value = fc.oneof(
  fc.constantFrom('pro', '10', '-1.5', '010', 'true', 'false', '2026-03-23', '2026-03-23T10:00'),
  fc.constantFrom('+7d', '-30d', '+0d', '+1.5d', '7d'),
  fc.constantFrom('"2"', '""', '"a"b"', '"', 'x:y', 'a,b', ' spaced ', 'PRO plan', '"true"'),
  fc.string({ maxLength: 6 }),
)
const op = fc.constantFrom('eq', 'ne', 'gt', 'gte', 'lt', 'lte', 'contains', 'EQ', 'like')
const param = fc.oneof(
  fc.tuple(key, op, value).map(([k, o, v]) => `${k}:${o}:${v}`),
  fc.tuple(key, fc.constantFrom('exists', 'missing')).map(([k, o]) => `${k}:${o}`),
  fc.tuple(key, value, value).map(([k, a, b]) => `${k}:between:${a},${b}`),
)
const entry: fc.Arbitrary<[string, string]> = fc.oneof(
  fc.tuple(
    fc.constantFrom('in', 'not_in'),
    fc.tuple(slug, fc.option(statuses)).map(([s, st]) => (st ? `${s}:${st}` : s)),
  ),
  fc.tuple(fc.constantFrom('status', 'not_status'), statuses),
  fc.tuple(fc.constant('min_projects'), digits),
  fc.tuple(
    fc.constantFrom('active', 'inactive'),
    fc.tuple(digits, scope).map(([d, s]) => d + s),
  ),
  fc.tuple(
    fc.constantFrom('seen_before', 'seen_after'),
    fc.tuple(moment, scope).map(([m, s]) => m + s),
  ),
  fc.tuple(fc.constant('p'), param),
  fc.tuple(fc.constant('sum'), key),
  fc.tuple(
    fc.constantFrom('q', 'sort', 'limit'),
    fc.constantFrom('alex', 'email', '-name', '25', ''),
  ),
)
// changed= as written: mostly well formed, and mangled (case, spaces, missing parts, the project
// after the time, another field than status).
const changed: fc.Arbitrary<[string, string]> = fc.tuple(
  fc.constant('changed'),
  fc.oneof(
    fc.tuple(statuses, scope, moment).map(([st, sc, m]) => `status:${st}${sc}:${m}`),
    fc
      .tuple(
        fc.constantFrom('status:', 'Status:', ' status:', 'plan:'),
        fc.oneof(statuses, fc.constant('')),
        scope,
        fc.constantFrom(':', '::', ''),
        fc.oneof(moment, fc.constant('')),
        fc.constantFrom('', '@app-a', ' '),
      )
      .map((parts) => parts.join('')),
  ),
)
const query = fc
  .array(fc.oneof(entry, changed), { maxLength: 6 })
  .map((es) => new URLSearchParams(es))

describe('chips and the parser', () => {
  it('every URL the parser accepts comes back from its chips as the same filter', () => {
    let accepted = 0
    fc.assert(
      fc.property(query, (q) => {
        let original: CustomerFilter
        try {
          original = parse(q)
        } catch {
          return // refused: the page shows the error; nothing to round-trip
        }
        accepted++
        const chips = chipsFromQuery(q)
        expect(chips.filter((c) => c.kind === 'unread')).toEqual([])
        expect(meaning(parse(queryFromChips(chips, q)))).toEqual(meaning(original))
      }),
      { numRuns: 1500 },
    )
    expect(accepted).toBeGreaterThan(200)
  })

  it('a chip written and read again is itself, so an edit of one loses nothing', () => {
    fc.assert(
      fc.property(fc.oneof(entry, changed), ([name, v]) => {
        const chip = readChip(name, v)
        if (chip.kind === 'unread') return
        expect(readChip(...writeChip(chip))).toEqual(chip)
        expect(chipProblem(chip)).toBeUndefined()
      }),
      { numRuns: 3000 },
    )
  })

  it('replacing one chip leaves every other chip as it was', () => {
    fc.assert(
      fc.property(query, fc.oneof(entry, changed), fc.nat(), (q, replacement, at) => {
        const chips = chipsFromQuery(q).filter((c) => c.kind !== 'unread')
        const next = readChip(...replacement)
        if (chips.length === 0 || next.kind === 'unread' || replacement[1].trim() === '') return
        const i = at % chips.length
        const edited = chips.map((c, j) => (j === i ? next : c))
        const back = chipsFromQuery(queryFromChips(edited))
        expect(back.length).toBe(edited.length)
        back.forEach((c, j) => expect(sameChip(c, edited[j]!)).toBe(true))
      }),
      { numRuns: 500 },
    )
  })

  it('names the problem of a chip the builder cannot apply yet, in the parser’s words', () => {
    const param = (
      values: string[],
      op: Chip & { kind: 'param' } extends { op: infer O } ? O : never = 'eq',
    ): Chip => ({
      kind: 'param',
      project: null,
      key: 'plan',
      op,
      values: values.map((text) => ({ type: 'string', text })),
    })
    expect(chipProblem(param([]))).toMatch(/eq needs a value/)
    expect(chipProblem(param(['pro']))).toBeUndefined()
    expect(chipProblem(param(['a,b', 'c'], 'between'))).toMatch(/between needs two values/)
    expect(chipProblem({ kind: 'status', negate: false, statuses: [] })).toMatch(
      /unknown status ''/,
    )
    expect(
      chipProblem({ kind: 'seen', before: true, when: { iso: '2026-02-31' }, project: null }),
    ).toMatch(/not a date/)
    // A key may hold a colon (p=a:b:exists), but not one followed by an operator's name.
    expect(
      chipProblem({ kind: 'param', project: null, key: 'a:b', op: 'exists', values: [] }),
    ).toBeUndefined()
    expect(
      chipProblem({ kind: 'param', project: null, key: 'a:eq', op: 'exists', values: [] }),
    ).toBeDefined()
  })
})

describe('chips in plain words', () => {
  const names: Record<string, string> = { 'app-a': 'Invoicely', 'app-b': 'FormBox' }
  const say = (name: string, value: string) =>
    describeChip(readChip(name, value), (s) => names[s] ?? s)

  it.each([
    ['in', 'app-a', 'Uses Invoicely'],
    ['in', 'app-a:paid', 'Invoicely is paid'],
    ['in', 'app-b:free,trialing,paid', 'FormBox is free, trial or paid'],
    ['not_in', 'app-b', "Doesn't use FormBox"],
    ['not_in', 'app-b:paid', 'Not paid on FormBox'],
    ['status', 'trial', 'Trial in any product'],
    ['not_status', 'paid,trial', 'Paid or trial in no product'],
    ['min_projects', '2', 'In 2+ products'],
    ['inactive', '30', 'Inactive 30+ days'],
    ['inactive', '30@app-a', 'Inactive 30+ days on Invoicely'],
    ['active', '1@app-b', 'Active in the last 1 day on FormBox'],
    ['seen_before', '14d', 'First seen 14+ days ago'],
    ['seen_before', '14d@app-a', 'Joined Invoicely 14+ days ago'],
    ['seen_after', '2026-03-03', 'First seen on or after 3 Mar 2026'],
    ['seen_after', '2026-03-03T09:30+02:00', 'First seen on or after 3 Mar 2026 09:30 +02:00'],
    ['p', 'plan:eq:pro', 'plan = pro'],
    ['p', 'app-a.mrr:gte:10', 'Invoicely mrr ≥ 10'],
    ['p', 'version:eq:"2"', 'version = "2"'],
    [
      'p',
      'trial_ends:between:2026-03-23,2026-03-29',
      'trial_ends between 23 Mar 2026 and 29 Mar 2026',
    ],
    ['p', 'coupon:exists', 'Has coupon'],
    ['p', 'trial_ends:between:+0d,+7d', 'trial_ends between today and in 7 days'],
    ['p', 'renewed:lt:-30d', 'renewed < 30 days ago'],
    ['p', '*.utm.source:missing', 'No utm.source'],
    ['p', 'tags:contains:vip', 'tags contains vip'],
    ['sum', 'mrr', 'Sum of mrr'],
    ['sum', 'app-b.mrr', 'Sum of FormBox mrr'],
    ['in', 'app-a:gold', 'in = app-a:gold'],
    ['changed', 'status:paid@app-a:7d', 'Became paid in Invoicely in the last 7 days'],
    ['changed', 'status:churned:2026-11-23', 'Became churned anywhere since 23 Nov 2026'],
    [
      'changed',
      'status:paid,trialing@app-b:30d',
      'Became paid or trial in FormBox in the last 30 days',
    ],
    ['changed', 'status:paid:1d', 'Became paid anywhere in the last 1 day'],
    [
      'changed',
      'status:churned@app-b:2026-11-23T09:00Z',
      'Became churned in FormBox since 23 Nov 2026 09:00',
    ],
    ['changed', 'status:paid@app-x:7d', 'Became paid in app-x in the last 7 days'],
  ])('%s=%s reads “%s”', (name, value, words) => {
    expect(say(name, value)).toBe(words)
  })
})

describe('changed= in the builder', () => {
  const chip = (value: string) => readChip('changed', value)

  it('reads into the parts its editor sets: statuses, a project or any, since when', () => {
    expect(chip('status:paid@app-a:7d')).toEqual({
      kind: 'changed',
      statuses: ['paid'],
      project: 'app-a',
      when: { daysAgo: 7 },
    })
    expect(chip(' status:Churned, cancelled:2026-11-23 ')).toEqual({
      kind: 'changed',
      statuses: ['churned'],
      project: null,
      when: { iso: '2026-11-23' },
    })
  })

  it.each([
    ['status:paid@app-a:7d', 'status:paid@app-a:7d'],
    ['status:churned:2026-11-23', 'status:churned:2026-11-23'],
    ['status:paid,trial:30d', 'status:paid,trial:30d'],
    ['status:trial,paid@app-b:0d', 'status:trial,paid@app-b:0d'],
    ['status:churned:2026-11-23T09:00:30.5+02:00', 'status:churned:2026-11-23T09:00:30.5+02:00'],
    // Spellings the parser accepts are written as the builder spells them, meaning the same.
    [' status:TRIALING , active @ App-B : 14d ', 'status:trial,paid@app-b:14d'],
    ['status:paid,paid:7d', 'status:paid:7d'],
  ])('changed=%s is written back as changed=%s, the same filter', (typed, written) => {
    const c = chip(typed)
    expect(writeChip(c)).toEqual(['changed', written])
    expect(chipProblem(c)).toBeUndefined()
    const q = new URLSearchParams({ changed: typed })
    expect(parse(queryFromChips(chipsFromQuery(q)))).toEqual(parse(q))
  })

  it('gives each of several changed= its own chip, in order, and an edit of one keeps the rest', () => {
    const q = new URLSearchParams(
      'changed=status:paid@app-a:7d&in=app-b&changed=status:churned:2026-11-23&changed=status:paid:7d@app-a',
    )
    const chips = chipsFromQuery(q)
    expect(chips.map((c) => c.kind)).toEqual(['changed', 'project', 'changed', 'unread'])
    const edited = chips.map((c, i) =>
      i === 0 && c.kind === 'changed' ? { ...c, statuses: ['trial' as const] } : c,
    )
    expect(queryFromChips(edited).toString()).toBe(
      new URLSearchParams(
        'changed=status:trial@app-a:7d&in=app-b&changed=status:churned:2026-11-23&changed=status:paid:7d@app-a',
      ).toString(),
    )
  })

  it('refuses a project after the time, which would otherwise be dropped unseen', () => {
    const c = chip('status:paid:7d@app-a')
    expect(c).toMatchObject({ kind: 'unread', problem: /project goes before/ })
    expect(writeChip(c)).toEqual(['changed', 'status:paid:7d@app-a'])
    expect(() => parse(new URLSearchParams({ changed: 'status:paid:7d@app-a' }))).toThrow()
  })

  it('says what is missing while the editor is half filled', () => {
    const ready: Chip = { kind: 'changed', statuses: ['paid'], project: null, when: { daysAgo: 7 } }
    expect(chipProblem(ready)).toBeUndefined()
    expect(chipProblem({ ...ready, statuses: [] })).toMatch(/unknown status ''/)
    expect(chipProblem({ ...ready, when: { iso: '' } })).toMatch(/not a date/)
    expect(chipProblem({ ...ready, when: { daysAgo: NaN } })).toMatch(/not a date/)
  })
})
