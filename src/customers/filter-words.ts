// The filter builder's chips in plain words ("App A is paid", "Inactive 30+ days", "Became paid
// in App A in the last 7 days"): what the customers page shows on each chip and the builder's
// editor says as it changes. The chips themselves, read from and written to the URL, are
// ./filter-chips.ts.
import type { ParamOp } from './filter-syntax.js'
import { spellValue, type Chip, type ChipValue } from './filter-chips.js'

const OP_WORDS: Record<ParamOp, string> = {
  eq: '=',
  ne: '≠',
  gt: '>',
  gte: '≥',
  lt: '<',
  lte: '≤',
  between: 'between',
  contains: 'contains',
  exists: 'has',
  missing: 'has no',
}

/** `paid`, `free or trial`, `free, trial or paid`. */
export function orList(words: string[]): string {
  return words.length <= 1
    ? (words[0] ?? '')
    : `${words.slice(0, -1).join(', ')} or ${words[words.length - 1]}`
}

const days = (n: number) => `${n.toLocaleString('en')} ${n === 1 ? 'day' : 'days'}`
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec']

/** `2026-03-03` as `3 Mar 2026`, `+7d` as `in 7 days`; with a time, `3 Mar 2026 09:00` (and its offset, if not UTC). */
export function spellDate(iso: string): string {
  const relative = /^([+ -])(\d{1,5})d$/.exec(iso)
  if (relative) {
    const n = Number(relative[2])
    return n === 0 ? 'today' : relative[1] === '-' ? `${days(n)} ago` : `in ${days(n)}`
  }
  const m = /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}:\d{2})\S*?([+-]\d{2}:?\d{2})?)?$/.exec(iso)
  if (!m) return iso
  const day = `${Number(m[3])} ${MONTHS[Number(m[2]) - 1]} ${m[1]}`
  return m[4] ? `${day} ${m[4]}${m[5] ? ` ${m[5]}` : ''}` : day
}

const capital = (s: string) => s.charAt(0).toUpperCase() + s.slice(1)

/** A value as a chip shows it: a string that would read as another type keeps its quotes. */
export function showValue(v: ChipValue): string {
  if (v.type === 'date') return spellDate(v.text)
  return spellValue(v)
}

/** A chip in plain words. `projectName` names a slug (the account's own project names). */
export function describeChip(chip: Chip, projectName: (slug: string) => string): string {
  switch (chip.kind) {
    case 'project': {
      const p = projectName(chip.project)
      if (!chip.statuses.length) return chip.negate ? `Doesn't use ${p}` : `Uses ${p}`
      const statuses = orList(chip.statuses)
      return chip.negate ? `Not ${statuses} on ${p}` : `${p} is ${statuses}`
    }
    case 'status':
      return `${capital(orList(chip.statuses))} in ${chip.negate ? 'no' : 'any'} product`
    case 'products':
      return `In ${chip.min}+ products`
    case 'activity': {
      const where = chip.project ? ` on ${projectName(chip.project)}` : ''
      return chip.inactive
        ? `Inactive ${chip.days}+ days${where}`
        : `Active in the last ${days(chip.days)}${where}`
    }
    case 'seen': {
      const subject = chip.project ? `Joined ${projectName(chip.project)}` : 'First seen'
      if ('daysAgo' in chip.when) {
        return chip.before
          ? `${subject} ${chip.when.daysAgo}+ days ago`
          : `${subject} in the last ${days(chip.when.daysAgo)}`
      }
      return `${subject} ${chip.before ? 'before' : 'on or after'} ${spellDate(chip.when.iso)}`
    }
    case 'param': {
      const subject = chip.project ? `${projectName(chip.project)} ${chip.key}` : chip.key
      const [a, b] = chip.values.map(showValue)
      switch (chip.op) {
        case 'exists':
          return `Has ${subject}`
        case 'missing':
          return `No ${subject}`
        case 'between':
          return `${subject} between ${a} and ${b}`
        default:
          return `${subject} ${OP_WORDS[chip.op]} ${a}`
      }
    }
    case 'sum':
      return `Sum of ${chip.project ? `${projectName(chip.project)} ` : ''}${chip.key}`
    case 'changed': {
      const where = chip.project ? `in ${projectName(chip.project)}` : 'anywhere'
      const when =
        'daysAgo' in chip.when
          ? `in the last ${days(chip.when.daysAgo)}`
          : `since ${spellDate(chip.when.iso)}`
      return `Became ${orList(chip.statuses)} ${where} ${when}`
    }
    case 'unread':
      return `${chip.name} = ${chip.value}`
  }
}

/** The project a chip is about, if any (its colour dot in the chip). */
export function chipProject(chip: Chip): string | null {
  return 'project' in chip ? chip.project : null
}
