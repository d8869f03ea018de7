// The filter builder's controls: one editor per kind of chip, each turning plain controls (a
// project select, status checkboxes, a number of days or a date, an operator and its values) into a Chip of
// src/customers/filter-chips.ts. An editor calls `change` with the chip after every edit; the
// builder (./builder.ts) applies it once the chip writes back to the URL syntax without loss.
import type { FilterFields } from '../../../src/customers/fields.js'
import type { Chip } from '../../../src/customers/filter-chips.js'
import type { ParamOp } from '../../../src/customers/filter-syntax.js'
import { STATUSES } from '../../../src/lib/status.js'
import {
  checkboxes,
  field,
  h,
  numberInput,
  onEdit,
  radios,
  select,
  uid,
  type Control,
} from './dom.js'
import { momentFields } from './moment.js'
import { ALL_OPS, keyFields, opsFor, typedValue, valueText } from './param-values.js'

type Change = (chip: Chip) => void
type Editor<K extends Chip['kind']> = (
  chip: Extract<Chip, { kind: K }>,
  fields: FilterFields,
  change: Change,
) => Control[]

const statusOptions = STATUSES.map((s): [string, string] => [s, s])

/** A select of the account's projects, "any product" first when `any` is given. */
function projectSelect(fields: FilterFields, value: string | null, any?: string) {
  const options: [string, string][] = fields.projects.map((p) => [p.slug, p.name])
  // A slug the account does not have (a pasted URL) stays what it is.
  if (value && !options.some(([slug]) => slug === value)) options.push([value, value])
  return select(any ? [['', any], ...options] : options, value ?? '')
}

const project: Editor<'project'> = (chip, fields, change) => {
  let c = chip
  const set = (part: Partial<typeof chip>) => change((c = { ...c, ...part }))
  const which = projectSelect(fields, chip.project)
  onEdit(which, () => set({ project: which.value }))
  return [
    field('Product', which),
    radios(
      'Customers who',
      [
        ['in', 'use it'],
        ['not_in', 'do not use it'],
      ],
      chip.negate ? 'not_in' : 'in',
      (v) => set({ negate: v === 'not_in' }),
    ),
    checkboxes('With status (none ticked: any)', statusOptions, chip.statuses, (statuses) =>
      set({ statuses: statuses as typeof chip.statuses }),
    ),
  ]
}

const status: Editor<'status'> = (chip, _fields, change) => {
  let c = chip
  const set = (part: Partial<typeof chip>) => change((c = { ...c, ...part }))
  return [
    radios(
      'Status in',
      [
        ['any', 'any product'],
        ['no', 'no product'],
      ],
      chip.negate ? 'no' : 'any',
      (v) => set({ negate: v === 'no' }),
    ),
    checkboxes('Statuses', statusOptions, chip.statuses, (statuses) =>
      set({ statuses: statuses as typeof chip.statuses }),
    ),
  ]
}

const products: Editor<'products'> = (chip, _fields, change) => {
  const min = numberInput(chip.min, 1)
  onEdit(min, () => change({ ...chip, min: min.valueAsNumber }))
  return [field('In at least this many products', min)]
}

const activity: Editor<'activity'> = (chip, fields, change) => {
  let c = chip
  const set = (part: Partial<typeof chip>) => change((c = { ...c, ...part }))
  const days = numberInput(chip.days, 0)
  const where = projectSelect(fields, chip.project, 'any product')
  onEdit(days, () => set({ days: days.valueAsNumber }))
  onEdit(where, () => set({ project: where.value || null }))
  return [
    radios(
      'Customers',
      [
        ['active', 'active in the last N days'],
        ['inactive', 'inactive for N days or more'],
      ],
      chip.inactive ? 'inactive' : 'active',
      (v) => set({ inactive: v === 'inactive' }),
    ),
    field('Days (N)', days),
    field('On', where),
  ]
}

const seen: Editor<'seen'> = (chip, fields, change) => {
  let c = chip
  const set = (part: Partial<typeof chip>) => change((c = { ...c, ...part }))
  const relative = 'daysAgo' in chip.when
  const where = projectSelect(fields, chip.project, 'any product (first seen anywhere)')
  onEdit(where, () => set({ project: where.value || null }))
  return [
    radios(
      'First seen',
      [
        ['before', relative ? 'N days ago or earlier' : 'before the date'],
        ['after', relative ? 'in the last N days' : 'on or after the date'],
      ],
      chip.before ? 'before' : 'after',
      (v) => set({ before: v === 'before' }),
    ),
    ...momentFields('Counted', chip.when, 14, (when) => set({ when })),
    field('On', where),
  ]
}

/** changed=: the statuses it became (any of them), where, and since when. */
const changed: Editor<'changed'> = (chip, fields, change) => {
  let c = chip
  const set = (part: Partial<typeof chip>) => change((c = { ...c, ...part }))
  const where = projectSelect(fields, chip.project, 'any product')
  onEdit(where, () => set({ project: where.value || null }))
  return [
    checkboxes('Became', statusOptions, chip.statuses, (statuses) =>
      set({ statuses: statuses as typeof chip.statuses }),
    ),
    field('In', where),
    ...momentFields('Since', chip.when, 7, (when) => set({ when })),
  ]
}

function datalist(values: (string | number | boolean)[]) {
  return h(
    'datalist',
    { id: uid('values') },
    values.map((v) => h('option', { value: String(v) })),
  )
}

const param: Editor<'param'> = (chip, fields, change) => {
  const found = keyFields(fields, chip.project, chip.key)
  const where = projectSelect(fields, chip.project, 'any product')
  const keys = [...new Set(fields.params.map((f) => f.key))]
  const keyList = datalist(keys)
  const key = h('input', { type: 'text', value: chip.key, list: keyList.id, autocomplete: 'off' })
  const ops = opsFor(found)
  if (!ops.includes(chip.op)) ops.push(chip.op)
  const op = select(
    ALL_OPS.filter(([o]) => ops.includes(o)),
    chip.op,
  )
  const known = found.flatMap((f) => f.values ?? [])
  const valueList = datalist([...new Set(known)])
  const count = chip.op === 'between' ? 2 : chip.op === 'exists' || chip.op === 'missing' ? 0 : 1
  const dateLike = chip.values.some((v) => v.type === 'date')
  const inputs = Array.from({ length: count }, (_, i) =>
    h('input', {
      type: 'text',
      class: 'param-value-box',
      value: chip.values[i] ? valueText(chip.values[i]) : '',
      list: known.length ? valueList.id : undefined,
      autocomplete: 'off',
      placeholder: dateLike ? '2026-03-01 or +7d' : undefined,
    }),
  )
  const next = (): Chip => {
    const o = op.value as ParamOp
    const n = o === 'between' ? 2 : o === 'exists' || o === 'missing' ? 0 : 1
    // An empty box is no value (the parser then says one is missing), never the empty string:
    // that one is typed as "".
    const values = inputs
      .slice(0, n)
      .filter((i) => i.value.trim() !== '')
      .map((i) => typedValue(i.value, found))
    return { ...chip, project: where.value || null, key: key.value.trim(), op: o, values }
  }
  for (const el of [where, key, op, ...inputs]) onEdit(el, () => change(next()))
  const valueLabels = count === 2 ? ['From', 'To'] : ['Value']
  return [
    field('Param', key),
    keyList,
    field('On', where),
    field('Operator', op),
    ...inputs.map((input, i) => field(valueLabels[i]!, input)),
    valueList,
  ]
}

const sum: Editor<'sum'> = (chip, fields, change) => {
  const numeric = [
    ...new Set(fields.params.filter((f) => f.types.includes('number')).map((f) => f.key)),
  ]
  const list = datalist(numeric)
  const key = h('input', { type: 'text', value: chip.key, list: list.id, autocomplete: 'off' })
  const where = projectSelect(fields, chip.project, 'any product')
  const next = () => ({ ...chip, key: key.value.trim(), project: where.value || null })
  onEdit(key, () => change(next()))
  onEdit(where, () => change(next()))
  return [field('Sum of the param', key), list, field('On', where)]
}

/** A condition the parser refuses: its text, to fix by hand. */
const unread: Editor<'unread'> = (chip, _fields, change) => {
  const text = h('input', { type: 'text', value: chip.value, autocomplete: 'off' })
  onEdit(text, () => change({ ...chip, value: text.value }))
  return [field(`${chip.name}=`, text)]
}

/** The controls of a chip. */
export function editorFor(chip: Chip, fields: FilterFields, change: Change): Control[] {
  switch (chip.kind) {
    case 'project':
      return project(chip, fields, change)
    case 'status':
      return status(chip, fields, change)
    case 'products':
      return products(chip, fields, change)
    case 'activity':
      return activity(chip, fields, change)
    case 'seen':
      return seen(chip, fields, change)
    case 'param':
      return param(chip, fields, change)
    case 'sum':
      return sum(chip, fields, change)
    case 'changed':
      return changed(chip, fields, change)
    case 'unread':
      return unread(chip, fields, change)
  }
}
