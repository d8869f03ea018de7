// How a zod failure reads in a 400: each bad field named, and why, in this app's words also where
// a schema leaves the message to zod.
import * as z from 'zod/mini'
import { describe, expect, it } from 'vitest'
import { ApiError } from './errors.js'
import { validationError } from './validation.js'

const schema = z.strictObject({
  n: z.number(),
  list: z.array(z.string()),
  plan: z.enum(['free', 'pro']),
  exact: z.literal('yes'),
  short: z.string().check(z.maxLength(3)),
  long: z.optional(z.string().check(z.minLength(2))),
  count: z.optional(z.number().check(z.gt(0), z.lte(10))),
  day: z.optional(z.string().check(z.regex(/^\d{4}-\d{2}-\d{2}$/))),
  mail: z.optional(z.email()),
})

const fail = (input: unknown) => {
  const result = schema.safeParse(input)
  if (result.success) throw new Error('expected a failure')
  return validationError(result.error)
}

describe('validationError', () => {
  it('names each field and says why, in the words of the app’s own messages', () => {
    const err = fail({
      n: '1',
      list: {},
      plan: 'gold',
      exact: 'no',
      short: 'abcd',
      long: 'a',
      count: 0,
      day: 'today',
      mail: 'nope',
      extra: true,
    })
    expect(err).toBeInstanceOf(ApiError)
    expect(err.code).toBe('validation_failed')
    expect(err.details).toEqual([
      { path: 'n', message: 'must be a number, not a string' },
      { path: 'list', message: 'must be an array, not an object' },
      { path: 'plan', message: 'must be one of free, pro' },
      { path: 'exact', message: 'must be "yes"' },
      { path: 'short', message: 'must be at most 3 characters' },
      { path: 'long', message: 'must be at least 2 characters' },
      { path: 'count', message: 'must be more than 0' },
      { path: 'day', message: 'is not in the expected form' },
      { path: 'mail', message: 'must be a valid email' },
      { path: '(body)', message: 'unknown field(s): extra' },
    ])
    expect(err.message).toBe(
      'n must be a number, not a string; list must be an array, not an object; plan must be one ' +
        'of free, pro; exact must be "yes"; short must be at most 3 characters; long must be at ' +
        'least 2 characters; count must be more than 0; day is not in the expected form; mail ' +
        'must be a valid email; (body): unknown field(s): extra',
    )
  })

  it('says a missing field is required, and what it takes', () => {
    const result = schema.safeParse({ n: 1, list: [], plan: 'free', exact: 'yes' })
    expect(validationError(result.error!).message).toBe('short is required (a string)')
  })

  it('says what the body is when it is not an object', () => {
    const result = schema.safeParse(null)
    expect(result.success).toBe(false)
    expect(validationError(result.error!).message).toBe('(body) must be an object, not null')
  })
})
