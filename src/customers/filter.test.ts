// The filter syntax, as the README documents it: every form the parser accepts, and a clear
// validation error naming the bad part for every mistake.
import { describe, expect, it } from 'vitest'
import { ApiError } from '../lib/errors.js'
import { parseCustomerFilter } from './filter.js'
import type { CustomerFilter } from './filter-syntax.js'
import { encodeCursor, parseParamValue } from './filter-values.js'

const now = new Date('2026-11-23T12:00:00Z')
const parse = (query: string) => parseCustomerFilter(new URLSearchParams(query), { now })
const daysAgo = (n: number) => new Date(now.getTime() - n * 86_400_000)

function errorOf(query: string): ApiError {
  try {
    parse(query)
  } catch (err) {
    if (err instanceof ApiError) return err
    throw err
  }
  throw new Error(`expected ${query} to be refused`)
}

describe('parseCustomerFilter', () => {
  it('has defaults: everyone, most recently active first, 50 a page', () => {
    const f = parse('')
    expect(f).toEqual<CustomerFilter>({
      q: undefined,
      in: [],
      notIn: [],
      status: [],
      notStatus: [],
      minProjects: undefined,
      activeSince: undefined,
      inactiveSince: undefined,
      seenBefore: undefined,
      seenAfter: undefined,
      params: [],
      sort: { key: 'last_activity', dir: 'desc' },
      sum: undefined,
      after: undefined,
      limit: 50,
    })
  })

  it('ignores empty fields, as a plain GET form sends every field', () => {
    expect(parse('q=&in=&status=&p=&sort=&min_projects=')).toEqual(parse(''))
  })

  it('reads a text search', () => {
    expect(parse('q=%20Alex%20').q).toBe('Alex')
  })

  it('reads projects a customer uses, with or without statuses (aliases accepted)', () => {
    expect(parse('in=app-a:paid&in=app-b&in=App-C:free,trialing').in).toEqual([
      { project: 'app-a', statuses: ['paid'] },
      { project: 'app-b', statuses: [] },
      { project: 'app-c', statuses: ['free', 'trial'] },
    ])
    expect(parse('not_in=app-b&not_in=app-c:paid').notIn).toEqual([
      { project: 'app-b', statuses: [] },
      { project: 'app-c', statuses: ['paid'] },
    ])
  })

  it('reads statuses anywhere, and statuses nowhere', () => {
    // Each entry is one condition (they combine with AND); within one, any of its statuses.
    const f = parse('status=trial&status=paid,active&not_status=churned')
    expect(f.status).toEqual([['trial'], ['paid']])
    expect(f.notStatus).toEqual([['churned']])
  })

  it('reads a minimum number of projects', () => {
    expect(parse('min_projects=2').minProjects).toBe(2)
  })

  it('reads activity windows in days, globally or in one project', () => {
    expect(parse('inactive=30').inactiveSince).toEqual({ at: daysAgo(30), project: null })
    expect(parse('active=7@app-a').activeSince).toEqual({ at: daysAgo(7), project: 'app-a' })
  })

  it('reads first-seen bounds as dates, times or days ago', () => {
    expect(parse('seen_before=2026-01-01').seenBefore).toEqual({
      at: new Date('2026-01-01T00:00:00Z'),
      project: null,
    })
    expect(parse('seen_after=14d@app-b').seenAfter).toEqual({ at: daysAgo(14), project: 'app-b' })
    expect(parse('seen_before=2026-03-01T10:30:00Z').seenBefore?.at).toEqual(
      new Date('2026-03-01T10:30:00Z'),
    )
  })

  it('reads a key with colons in it: the key ends where an operator follows', () => {
    const f = parse('p=ns:key:eq:v&p=app-a.a:b:c:exists&p=utm:source:contains:x:y')
    expect(f.params.map((p) => [p.project, p.key, p.op, p.values.map((v) => v.raw)])).toEqual([
      [null, 'ns:key', 'eq', ['v']],
      ['app-a', 'a:b:c', 'exists', []],
      [null, 'utm:source', 'contains', ['x:y']],
    ])
    expect(errorOf('p=ns:key:like:v').details?.[0]?.message).toMatch(/unknown operator 'key'/)
  })

  it('reads params filters with every operator, in any project or scoped to one', () => {
    const f = parse(
      [
        'p=plan:eq:pro',
        'p=app-a.mrr:gte:10',
        'p=trial_ends:between:2026-03-23,2026-03-29',
        'p=beta:eq:true',
        'p=role:ne:admin',
        'p=tags:contains:vip',
        'p=coupon:exists',
        'p=coupon:missing',
        'p=*.utm.source:eq:x',
        'p=version:eq:"2"',
        'p=url:eq:https://x.dev/a:b',
      ]
        .map((s) => s.replace(/\+/g, '%2B'))
        .join('&'),
    )
    expect(f.params).toEqual([
      {
        project: null,
        key: 'plan',
        op: 'eq',
        values: [{ type: 'string', value: 'pro', raw: 'pro' }],
      },
      {
        project: 'app-a',
        key: 'mrr',
        op: 'gte',
        values: [{ type: 'number', value: 10, raw: '10' }],
      },
      {
        project: null,
        key: 'trial_ends',
        op: 'between',
        values: [
          { type: 'date', value: '2026-03-23', raw: '2026-03-23' },
          { type: 'date', value: '2026-03-29', raw: '2026-03-29' },
        ],
      },
      {
        project: null,
        key: 'beta',
        op: 'eq',
        values: [{ type: 'boolean', value: true, raw: 'true' }],
      },
      {
        project: null,
        key: 'role',
        op: 'ne',
        values: [{ type: 'string', value: 'admin', raw: 'admin' }],
      },
      {
        project: null,
        key: 'tags',
        op: 'contains',
        values: [{ type: 'string', value: 'vip', raw: 'vip' }],
      },
      { project: null, key: 'coupon', op: 'exists', values: [] },
      { project: null, key: 'coupon', op: 'missing', values: [] },
      {
        project: null,
        key: 'utm.source',
        op: 'eq',
        values: [{ type: 'string', value: 'x', raw: 'x' }],
      },
      {
        project: null,
        key: 'version',
        op: 'eq',
        values: [{ type: 'string', value: '2', raw: '"2"' }],
      },
      {
        project: null,
        key: 'url',
        op: 'eq',
        values: [{ type: 'string', value: 'https://x.dev/a:b', raw: 'https://x.dev/a:b' }],
      },
    ])
  })

  it('types values from their spelling', () => {
    expect(parseParamValue('-1.5')).toMatchObject({ type: 'number', value: -1.5 })
    expect(parseParamValue('false')).toMatchObject({ type: 'boolean', value: false })
    expect(parseParamValue('2026-03-23T10:00Z')).toMatchObject({ type: 'date' })
    expect(parseParamValue('2026-13-01')).toMatchObject({ type: 'string' })
    expect(parseParamValue('"true"')).toMatchObject({ type: 'string', value: 'true' })
    expect(parseParamValue('pro plan')).toMatchObject({ type: 'string', value: 'pro plan' })
    expect(parseParamValue('+7d')).toMatchObject({ type: 'date', daysFromToday: 7 })
    expect(parseParamValue('"+7d"')).toMatchObject({ type: 'string', value: '+7d' })
  })

  it('reads +Nd / -Nd as that many days from today (UTC), a date to the day', () => {
    // As a form sends it (%2B), and as typed in an address bar (+, which arrives as a space).
    const days = (q: string) => parse(q).params[0]!.values.map((v) => v.value)
    expect(days('p=trial_ends:between:%2B0d,%2B7d')).toEqual(days('p=trial_ends:between:+0d,+7d'))
    const [f] = parse('p=trial_ends:between:+0d,+7d').params
    expect(f!.values.map((v) => [v.type, v.value])).toEqual([
      ['date', '2026-11-23'],
      ['date', '2026-11-30'],
    ])
    expect(parse('p=renewed:gte:-30d').params[0]!.values[0]!.value).toBe('2026-10-24')
    // A day from today and a calendar date are one type: between takes both.
    expect(parse('p=x:between:+0d,2027-01-01').params[0]!.values).toHaveLength(2)
  })

  it('reads sort, sum, page size and a cursor', () => {
    const after = encodeCursor({ sort: 'email', value: 'b@x.io', id: 7 })
    const f = parse(`sort=email&sum=app-a.mrr&limit=20&after=${after}`)
    expect(f.sort).toEqual({ key: 'email', dir: 'asc' })
    expect(f.sum).toEqual({ project: 'app-a', key: 'mrr' })
    expect(f.limit).toBe(20)
    expect(f.after).toEqual({ sort: 'email', value: 'b@x.io', id: 7 })
    expect(parse('sort=-first_seen&sum=mrr').sort).toEqual({ key: 'first_seen', dir: 'desc' })
    expect(parse('sum=mrr').sum).toEqual({ project: null, key: 'mrr' })
  })

  it('accepts a record as well as URLSearchParams (the JSON API passes c.req.queries())', () => {
    expect(parseCustomerFilter({ in: ['app-a', 'app-b'], q: 'alex' }, { now })).toEqual(
      parse('in=app-a&in=app-b&q=alex'),
    )
  })
})

describe('parseCustomerFilter errors', () => {
  const cases: [string, string, RegExp][] = [
    ['colour=red', 'colour', /unknown filter 'colour'/],
    ['in=App A', 'in', /'App A' is not a project slug/],
    ['in=app-a:gold', 'in', /unknown status 'gold' \(use free, trial, paid, churned\)/],
    ['status=vip', 'status', /unknown status 'vip'/],
    ['min_projects=two', 'min_projects', /whole number/],
    ['inactive=month', 'inactive', /not a number of days/],
    ['active=7@App A', 'active', /not a project slug/],
    ['seen_before=yesterday', 'seen_before', /not a date/],
    ['seen_after=2026-02-31', 'seen_after', /not a date/],
    // One error, the date's: not also "the project goes before the time".
    ['changed=status:churned:2026-02-31', 'changed', /'2026-02-31' is not a date/],
    ['changed=status:paid:7d@app-a', 'changed', /the project goes before the time/],
    // Said as what is missing, not as an operator named '' (a key typed alone in the address).
    ['p=plan', 'p', /'plan': missing the operator \(like plan:eq:value or plan:exists; use eq, ne/],
    ['p=plan:', 'p', /'plan:': missing the operator/],
    ['p=plan:like:pro', 'p', /unknown operator 'like' \(use eq, ne, gt/],
    ['p=plan:eq', 'p', /eq needs a value/],
    ['p=:eq:pro', 'p', /missing the param name/],
    ['p=coupon:exists:yes', 'p', /exists takes no value/],
    ['p=mrr:between:10', 'p', /between needs two values/],
    ['p=mrr:between:10,2026-01-01', 'p', /one type \(number and date given\)/],
    ['p=beta:gt:true', 'p', /gt does not compare booleans/],
    // Read as Infinity, it reached the SQL as JSON null, below every number: gt matched them all.
    [`p=mrr:gt:${'9'.repeat(309)}`, 'p', /number is too large/],
    [`p=mrr:between:1,${'9'.repeat(309)}`, 'p', /number is too large/],
    ['sort=age', 'sort', /unknown sort 'age'/],
    ['limit=0', 'limit', /between 1 and 200/],
    ['limit=500', 'limit', /between 1 and 200/],
    ['after=garbage', 'after', /not a page cursor/],
    // Well-formed, but edited: a sort by time whose value is no time.
    [`after=${btoa('["-last_activity","notadate",1]')}`, 'after', /not a page cursor/],
    // What Date.parse reads but the database does not: each reached it, a 400 naming no field.
    [`after=${btoa('["-last_activity",5,1]')}`, 'after', /not a page cursor/],
    [`before=${btoa('["-last_activity","2026-01-01 junk",1]')}`, 'before', /not a page cursor/],
    [`after=${btoa('["first_seen","2026-02-30 00:00:00+00",1]')}`, 'after', /not a page cursor/],
    [`after=${btoa('["first_seen","2026-01-01 00:00:00+99:00",1]')}`, 'after', /not a page cursor/],
    ['q=a%00b', 'q', /contains a NUL character/],
    ['p=plan:eq:a%00', 'p', /contains a NUL character/],
    ['q=a&q=b', 'q', /give it once/],
  ]
  it.each(cases)('%s → 400 naming %s', (query, path, message) => {
    const err = errorOf(query)
    expect(err.code).toBe('validation_failed')
    expect(err.status).toBe(400)
    expect(err.details).toEqual([
      expect.objectContaining({ path, message: expect.stringMatching(message) }),
    ])
    expect(err.message).toMatch(/^Invalid filter: /)
  })

  it('treats Object.prototype names as unknown filters', () => {
    expect(errorOf('valueOf=1').details?.[0]?.message).toMatch(/unknown filter 'valueOf'/)
    expect(errorOf('__proto__=1').code).toBe('validation_failed')
  })

  it('reports every bad part at once', () => {
    const err = errorOf('status=vip&sort=age&p=x:zz:1')
    expect(err.details?.map((d) => d.path).sort()).toEqual(['p', 'sort', 'status'])
  })
})
