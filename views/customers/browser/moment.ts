// A time as the filter builder edits it, for "first seen" (seen_before= / seen_after=) and "status
// changed" (changed=) alike: a number of days from today, or a date. One control, one spelling of
// both (the Moment of src/customers/filter-values.ts).
import type { Moment } from '../../../src/customers/filter-values.js'
import { field, h, numberInput, onEdit, radios } from './dom.js'

/** Days or a date (`legend` names the choice), and the box for it; `set` gets the moment after
 *  every edit. Switching between days and a date changes the box: the builder draws the editor
 *  again (its shape changed), starting days at `days` when none were typed. */
export function momentFields(
  legend: string,
  when: Moment,
  days: number,
  set: (when: Moment) => void,
): HTMLElement[] {
  const relative = 'daysAgo' in when
  const count = numberInput('daysAgo' in when ? when.daysAgo : days, 0)
  const date = h('input', { type: 'date', value: 'iso' in when ? when.iso.slice(0, 10) : '' })
  // A full time (2026-03-01T10:00) from a pasted URL is kept as typed until the date is edited.
  const read = (): Moment =>
    relative
      ? { daysAgo: count.valueAsNumber }
      : 'iso' in when && when.iso.slice(0, 10) === date.value
        ? when
        : { iso: date.value }
  onEdit(count, () => set(read()))
  onEdit(date, () => set(read()))
  return [
    radios(
      legend,
      [
        ['days', 'in days from today'],
        ['date', 'from a date'],
      ],
      relative ? 'days' : 'date',
      (v) => set(v === 'days' ? { daysAgo: count.valueAsNumber || days } : { iso: date.value }),
    ),
    relative ? field('Days (N)', count) : field('Date', date),
  ]
}
