// The one status table: statuses, their aliases, and nothing else.
import { expect, it } from 'vitest'
import { STATUSES, STATUS_ALIASES, parseStatus } from './status.js'

it('reads every status and alias, in any case', () => {
  expect(STATUSES.map(parseStatus)).toEqual(STATUSES)
  expect(['Trialing', ' active ', 'CANCELED', 'cancelled'].map(parseStatus)).toEqual([
    'trial',
    'paid',
    'churned',
    'churned',
  ])
  expect(STATUS_ALIASES).toEqual(['trialing', 'active', 'canceled', 'cancelled'])
})

it('knows no other name, prototype names included', () => {
  for (const name of ['gold', '', '__proto__', 'constructor', 'toString', 'hasOwnProperty']) {
    expect(parseStatus(name), name).toBeUndefined()
  }
})
