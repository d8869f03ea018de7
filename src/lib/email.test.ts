// The one email rule: what is an address TinyCRM keeps, and how it is normalised.
import { describe, expect, it } from 'vitest'
import { emailSchema } from './email.js'

const parse = (s: string) => {
  const r = emailSchema.safeParse(s)
  return r.success ? r.data : (r.error.issues[0]?.message ?? 'refused')
}

describe('emailSchema', () => {
  it('trims and lower-cases', () => {
    expect(parse('  Alex.Chen+Pro@Example.COM ')).toBe('alex.chen+pro@example.com')
  })

  it('keeps international addresses (RFC 6531), in one Unicode form', () => {
    expect(parse('José@example.com')).toBe('josé@example.com')
    expect(parse('Jos\u0065\u0301@example.com')).toBe('jos\u00e9@example.com')
    expect(parse('用户@例子.广告')).toBe('用户@例子.广告')
    expect(parse('ÖZIL@münchen.de')).toBe('özil@münchen.de')
  })

  it('reads a punycode domain as the Unicode one it spells (one customer, not two)', () => {
    expect(parse('User@XN--BCHER-KVA.de')).toBe('user@bücher.de')
    expect(parse('ivan@xn--e1afmkfd.xn--p1ai')).toBe('ivan@пример.рф')
    expect(parse('xn--bcher-kva@example.com')).toBe('xn--bcher-kva@example.com')
  })

  it('keeps the local part’s other unquoted characters (RFC 5322 atext): a sender has them', () => {
    for (const ok of ['billing&ops@example.com', 'a%b@example.com', "o'neil@example.com"]) {
      expect(parse(ok)).toBe(ok)
    }
    expect(parse("x!#$%&'*+/=?^_`{|}~-y@example.com")).toBe("x!#$%&'*+/=?^_`{|}~-y@example.com")
  })

  it('refuses what is not a plain address', () => {
    for (const bad of [
      '',
      'alex',
      'alex@',
      '@example.com',
      'a b@example.com',
      '"a"@example.com',
      '<a@example.com>',
      'a@localhost',
      'a..b@example.com',
      'a@example.c',
      'a@-x.com',
      'a(b)@example.com',
      'a,b@example.com',
      'a;b@example.com',
      'a\\b@example.com',
      'a[b]@example.com',
      "a'@example.com",
    ]) {
      expect(parse(bad), bad).not.toContain('@')
    }
    expect(parse(`${'a'.repeat(250)}@x.io`)).toBe('email is too long (at most 254 characters)')
  })
})
