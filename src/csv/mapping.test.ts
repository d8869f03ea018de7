// The mapping's first guess from a header: which column is the email, the name, the status, the
// dates, and what a param is called and typed.
import { describe, expect, it } from 'vitest'
import {
  convertRow,
  paramKeyFromHeader,
  suggestMapping,
  validateMapping,
  type Mapping,
} from './mapping.js'

describe('suggestMapping', () => {
  it('names params after their header the way filters write them', () => {
    const header = ['Email', 'MRR (USD)', 'Trial ends', 'Plan', 'Société', '€', 'mrr-usd']
    const mapping = suggestMapping(
      header,
      [['a@x.example', '49', '2026-12-01', 'pro', 'x', 'y', '1']],
      'app-a',
    )
    expect(mapping.map((m) => m.key ?? m.target)).toEqual([
      'email',
      'mrr_usd',
      'trial_ends',
      'plan',
      'societe',
      'column_6',
      'mrr_usd_2',
    ])
    expect(mapping[1]).toEqual({ target: 'param', key: 'mrr_usd', type: 'number' })
    expect(mapping[2]).toMatchObject({ type: 'date' })
  })

  it("reads common exports' headers: ConvertKit's email_address, Stripe's Created (UTC) and metadata, yes/no", () => {
    const header = ['email_address', 'Created (UTC)', 'metadata.source', 'Paid', 'app-b.plan']
    const mapping = suggestMapping(
      header,
      [
        ['a@x.example', '2025-03-04 14:05', 'hn', 'yes', 'pro'],
        ['b@x.example', '', 'ads', 'No', ''],
      ],
      'app-a',
      ['app-a', 'app-b'],
    )
    expect(mapping).toEqual([
      { target: 'email' },
      { target: 'first_seen' },
      // A dotted header of no project of the account is a column like another.
      { target: 'param', key: 'metadata_source', type: 'text' },
      { target: 'param', key: 'paid', type: 'boolean' },
      // Another project's export column is not this project's data.
      { target: 'skip' },
    ])
  })

  it("keeps this project's export columns exactly, so an export imports back as it was", () => {
    const header = ['email', 'app-a', 'app-a.MRR (USD)', 'app-b.plan', 'app-a:first_seen']
    expect(suggestMapping(header, [], 'app-a', ['app-a', 'app-b'])).toEqual([
      { target: 'email' },
      { target: 'status' },
      { target: 'param', key: 'MRR (USD)', type: 'auto' },
      { target: 'skip' },
      { target: 'first_seen' },
    ])
  })

  it("takes an export's dates of this project, not the customer-wide ones before them", () => {
    const header = [
      'id',
      'email',
      'name',
      'first_seen',
      'last_activity',
      'app-b',
      'app-b:first_seen',
    ]
    const exported = [
      ...header,
      'app-b:last_activity',
      'app-a',
      'app-a:first_seen',
      'app-a:last_activity',
    ]
    expect(suggestMapping(exported, [], 'app-a', ['app-a', 'app-b'])).toEqual([
      { target: 'skip' },
      { target: 'email' },
      { target: 'name' },
      { target: 'skip' },
      { target: 'skip' },
      { target: 'skip' },
      { target: 'skip' },
      { target: 'skip' },
      { target: 'status' },
      { target: 'first_seen' },
      { target: 'last_activity' },
    ])
    // A file of its own with generic names still maps them.
    expect(suggestMapping(['email', 'First seen', 'last_activity'], [], 'app-a')).toEqual([
      { target: 'email' },
      { target: 'first_seen' },
      { target: 'last_activity' },
    ])
  })

  it('paramKeyFromHeader', () => {
    expect(paramKeyFromHeader('  Last Payment -- Amount ', 0)).toBe('last_payment_amount')
    expect(paramKeyFromHeader('***', 2)).toBe('column_3')
  })
})

describe('suggestMapping: types', () => {
  it('suggests text for numbers a number would change: leading zeros, whole numbers past 2^53', () => {
    const header = ['email', 'zip', 'ref', 'mrr']
    const sample = [
      ['a@x.io', '00123', '12345678901234567890', '29'],
      ['b@x.io', '02134', '1', '9.5'],
    ]
    const types = suggestMapping(header, sample, 'app-a').map((m) => m.type)
    expect(types).toEqual([undefined, 'text', 'text', 'number'])
  })
})

describe('suggestMapping: a rejected-rows file', () => {
  it('skips its line and reason columns, and maps the rest as the original file', () => {
    const header = ['line', 'reason', 'email', 'plan']
    const sample = [['2', "column signed_up: 'x' is not a date", 'a@x.io', 'pro']]
    expect(suggestMapping(header, sample, 'app-a')).toEqual([
      { target: 'skip' },
      { target: 'skip' },
      { target: 'email' },
      { target: 'param', key: 'plan', type: 'text' },
    ])
  })
})

describe('suggestMapping: the rejected rows of an export', () => {
  it("types its param columns from the cells without the download's guard, not as auto", () => {
    const header = ['line', 'reason', 'email', 'app-a.mrr']
    const sample = [['3', 'status must be one of …', 'a@x.io', "'42"]]
    expect(suggestMapping(header, sample, 'app-a', ['app-a'])[3]).toEqual({
      target: 'param',
      key: 'mrr',
      type: 'number',
    })
  })
})

describe('convertRow: numbers', () => {
  it('refuses a whole number past 2^53 mapped as a number, rather than storing other digits', () => {
    const mapping = [
      { target: 'email' as const },
      { target: 'param' as const, key: 'ref', type: 'number' as const },
    ]
    const row = (ref: string) => convertRow(['2', 'a@example.com', ref], mapping, ['email', 'ref'])
    expect(row('12345678901234567890').error).toMatch(/past 2\^53.*map it as text/)
    expect(row('9007199254740991').items![0]).toMatchObject({ params: { ref: 9007199254740991 } })
    expect(row('1e21').items![0]).toMatchObject({ params: { ref: 1e21 } })
  })
})

describe('convertRow: a rejected row', () => {
  it('says every problem of the row at once, not only the first', () => {
    const header = ['email', 'mrr', 'status', 'signed_up']
    const mapping = [
      { target: 'email' as const },
      { target: 'param' as const, key: 'mrr', type: 'number' as const },
      { target: 'status' as const },
      { target: 'first_seen' as const },
    ]
    const { error, items } = convertRow(
      ['3', 'a@example.com', 'abc', 'gold', '2026-02-30'],
      mapping,
      header,
    )
    expect(items).toBeUndefined()
    expect(error).toMatch(/column mrr: 'abc' is not a number/)
    expect(error).toMatch(/column signed_up: '2026-02-30' is not a date/)
    expect(error).toMatch(/status must be one of free, trial, paid, churned/)
    const bad = convertRow(['4', 'not-an-email', '', '', '2026-01-01'], mapping, header).error!
    expect(bad.split('; ')).toEqual([expect.stringMatching(/email/)])
  })
})

describe('convertRow: dates', () => {
  const header = ['email', 'signed_up', 'trial_ends']
  const mapping = [
    { target: 'email' as const },
    { target: 'first_seen' as const },
    { target: 'param' as const, key: 'trial_ends', type: 'date' as const },
  ]
  const row = (signedUp: string, trialEnds: string) =>
    convertRow(['2', 'a@example.com', signedUp, trialEnds], mapping, header)

  it('refuses a day the calendar does not have, rather than rolling it over', () => {
    expect(row('2026-02-30', '2026-03-01').error).toMatch(/signed_up: '2026-02-30' is not a date/)
    expect(row('2026-03-01', '2026-04-31').error).toMatch(/trial_ends: '2026-04-31' is not a date/)
    expect(row('2026-04-31T10:00:00Z', '').error).toMatch(/is not a date/)
    expect(row('2024-02-29', '2028-02-29').error).toBeUndefined()
  })

  it('reads a date-time without its offset as UTC, whatever the time zone of the server', () => {
    const zone = process.env.TZ
    process.env.TZ = 'America/New_York' // Node reads it again when it changes
    let read
    try {
      read = row('2026-01-15 10:00', '2026-01-15T10:00:00')
    } finally {
      if (zone === undefined) delete process.env.TZ
      else process.env.TZ = zone
    }
    expect(read.items![0]).toMatchObject({ timestamp: new Date('2026-01-15T10:00:00Z') })
    expect(read.items!.at(-1)).toMatchObject({ params: { trial_ends: '2026-01-15T10:00:00.000Z' } })
    const offset = row('2026-01-15T10:00:00+02:00', '2026-01-15T10:00:00-0500')
    expect(offset.items![0]).toMatchObject({ timestamp: new Date('2026-01-15T08:00:00Z') })
    expect(offset.items!.at(-1)).toMatchObject({
      params: { trial_ends: '2026-01-15T15:00:00.000Z' },
    })
  })
})

describe('first and last name columns', () => {
  it('suggests them from the headers of common exports when the file has no full-name column', () => {
    const cases = [
      ['First Name', 'Last Name'],
      ['first_name', 'last_name'],
      ['fname', 'lname'],
      ['Given name', 'Family name'],
      ['FirstName', 'Surname'],
    ]
    for (const [first, last] of cases) {
      expect(suggestMapping(['Email', first!, last!], [], 'app-a')).toEqual([
        { target: 'email' },
        { target: 'first_name' },
        { target: 'last_name' },
      ])
    }
  })

  it('leaves them params when the file has a full-name column, which is the name', () => {
    expect(suggestMapping(['First Name', 'Email', 'Name'], [], 'app-a')).toEqual([
      { target: 'param', key: 'first_name', type: 'text' },
      { target: 'email' },
      { target: 'name' },
    ])
  })

  const header = ['email', 'First Name', 'Last Name']
  const mapping = [
    { target: 'email' as const },
    { target: 'first_name' as const },
    { target: 'last_name' as const },
  ]
  /** The name a row gives (its cells after the email), or why it is rejected. */
  const nameOf = (cells: string[], m: Mapping = mapping, h = header) => {
    const row = convertRow(['2', 'a@example.com', ...cells], m, h)
    return row.items?.[0]?.type === 'identify' ? row.items[0].name : row.error
  }

  it('joins them into the name, either alone when the other is empty, trimmed', () => {
    expect(nameOf(['Ada', 'Lovelace'])).toBe('Ada Lovelace')
    expect(nameOf(['  Ada ', ' Lovelace  '])).toBe('Ada Lovelace')
    expect(nameOf(['Ada', ''])).toBe('Ada')
    expect(nameOf(['', 'Lovelace'])).toBe('Lovelace')
    expect(nameOf([' ', '  '])).toBeUndefined() // leaves the stored name as it is
    const firstOnly: Mapping = [{ target: 'email' }, { target: 'first_name' }, { target: 'skip' }]
    expect(nameOf(['Ada', 'Lovelace'], firstOnly)).toBe('Ada')
  })

  it('keeps the limits of a name: the joined name is checked as one', () => {
    expect(nameOf(['A'.repeat(250), 'B'.repeat(250)])).toMatch(/name is too long/)
    expect(nameOf(['A'.repeat(249), 'B'.repeat(250)])).toHaveLength(500)
  })

  it('lets a mapped full-name column win; its empty cell falls back to first and last', () => {
    const h = ['email', 'First Name', 'Last Name', 'Name']
    const m: Mapping = [...mapping, { target: 'name' }]
    expect(nameOf(['Ada', 'Lovelace', 'Augusta Ada King'], m, h)).toBe('Augusta Ada King')
    expect(nameOf(['Ada', 'Lovelace', ''], m, h)).toBe('Ada Lovelace')
  })

  it('takes at most one column of each', () => {
    const h = ['email', 'a', 'b']
    const twice: Mapping = [{ target: 'email' }, { target: 'first_name' }, { target: 'first_name' }]
    expect(() => validateMapping(twice, h)).toThrow('map at most one column to first_name')
    expect(validateMapping(mapping, header)).toEqual(mapping)
  })
})
