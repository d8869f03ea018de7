// A param's operators and values in the filter builder: which operators fit the types a key was
// seen with, and how a value typed in a box is read (and shown back).
import type { FilterFields, ParamField } from '../../../src/customers/fields.js'
import { spellValue, type ChipValue } from '../../../src/customers/filter-chips.js'
import type { ParamOp } from '../../../src/customers/filter-syntax.js'
import { parseParamValue } from '../../../src/customers/filter-values.js'

export const ALL_OPS: [ParamOp, string][] = [
  ['eq', '= is'],
  ['ne', '≠ is not'],
  ['gt', '> more than'],
  ['gte', '≥ at least'],
  ['lt', '< less than'],
  ['lte', '≤ at most'],
  ['between', 'between'],
  ['contains', 'contains'],
  ['exists', 'has the key'],
  ['missing', 'does not have the key'],
]
const OPS_BY_TYPE: Record<string, ParamOp[]> = {
  number: ['eq', 'ne', 'gt', 'gte', 'lt', 'lte', 'between', 'exists', 'missing'],
  boolean: ['eq', 'ne', 'exists', 'missing'],
  string: ['eq', 'ne', 'contains', 'gt', 'gte', 'lt', 'lte', 'between', 'exists', 'missing'],
  array: ['contains', 'exists', 'missing'],
  object: ['exists', 'missing'],
  null: ['exists', 'missing'],
}

/** The fields of a key: in one project, or (no project) in any of them. */
export function keyFields(fields: FilterFields, project: string | null, key: string) {
  return fields.params.filter((f) => f.key === key && (!project || f.project === project))
}

/** The operators that fit the types a key was seen with (every one for a key not seen). */
export function opsFor(found: ParamField[]): ParamOp[] {
  const types = new Set(found.flatMap((f) => f.types))
  if (types.size === 0) return ALL_OPS.map(([op]) => op)
  return ALL_OPS.map(([op]) => op).filter((op) =>
    [...types].some((t) => OPS_BY_TYPE[t]?.includes(op)),
  )
}

/** A value as typed in the box: "quoted" is a string; a key only ever seen as text keeps a number
 *  or true/false as text. */
export function typedValue(text: string, found: ParamField[]): ChipValue {
  const read = parseParamValue(text)
  const onlyText = found.length > 0 && found.every((f) => f.types.every((t) => t === 'string'))
  if (read.type === 'string') return { type: 'string', text: read.value }
  if (onlyText && read.type !== 'date') return { type: 'string', text }
  return { type: read.type, text }
}

/** A value as the box shows it: a string that would read as something else in quotes. */
export const valueText = (v: ChipValue) => (v.type === 'string' ? spellValue(v) : v.text)
