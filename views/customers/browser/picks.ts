// What the filter builder's field picker offers: every field the account has (its projects,
// status and activity, dates, each param key with the types seen, "sum of"), each with the chip
// its editor starts from.
import type { FilterFields } from '../../../src/customers/fields.js'
import type { Chip } from '../../../src/customers/filter-chips.js'

/** A project's name by its slug (the slug itself for one the account no longer has). */
export const projectName = (fields: FilterFields) => (slug: string) =>
  fields.projects.find((p) => p.slug === slug)?.name ?? slug

export type Pick = { group: string; label: string; hint?: string; chip: Chip }

/** Every field the picker offers, each with the chip it starts from. */
export function picks(fields: FilterFields): Pick[] {
  const name = projectName(fields)
  const list: Pick[] = fields.projects.map((p) => ({
    group: 'Products',
    label: p.name,
    hint: 'uses / does not use, by status',
    chip: { kind: 'project', negate: false, project: p.slug, statuses: [] },
  }))
  list.push(
    {
      group: 'Status and activity',
      label: 'Status in any product',
      chip: { kind: 'status', negate: false, statuses: [] },
    },
    {
      group: 'Status and activity',
      label: 'Status in no product',
      chip: { kind: 'status', negate: true, statuses: [] },
    },
    {
      group: 'Status and activity',
      label: 'Status changed',
      hint: 'became paid, churned… in the last N days or since a date',
      // Keys in the order the chip is read (sameChip compares them as JSON).
      chip: { kind: 'changed', statuses: [], project: null, when: { daysAgo: 7 } },
    },
    {
      group: 'Status and activity',
      label: 'Number of products',
      chip: { kind: 'products', min: 2 },
    },
    {
      group: 'Status and activity',
      label: 'Last active',
      hint: 'active within / inactive for N days',
      chip: { kind: 'activity', inactive: true, days: 30, project: null },
    },
    {
      group: 'Status and activity',
      label: 'First seen',
      hint: 'N days ago or a date',
      chip: { kind: 'seen', before: true, when: { daysAgo: 14 }, project: null },
    },
  )
  for (const f of fields.params) {
    const scalar = f.types.some((t) => ['string', 'number', 'boolean'].includes(t))
    list.push({
      group: 'Params',
      label: `${f.key} (${name(f.project)})`,
      hint: `${f.types.join(' / ')} · ${f.customers.toLocaleString('en')} ${f.customers === 1 ? 'customer' : 'customers'}`,
      chip: {
        kind: 'param',
        project: f.project,
        key: f.key,
        op: scalar ? 'eq' : 'exists',
        // No value yet: the editor's box starts empty and nothing applies until one is typed (an
        // empty string would be a value, `""`, and empty the table at once).
        values: [],
      },
    })
  }
  list.push({
    group: 'Params',
    label: 'Another param…',
    hint: 'any key, typed',
    chip: {
      kind: 'param',
      project: null,
      key: '',
      op: 'eq',
      values: [],
    },
  })
  for (const f of fields.params.filter((p) => p.types.includes('number'))) {
    list.push({
      group: 'Sum of',
      label: `Sum of ${f.key} (${name(f.project)})`,
      chip: { kind: 'sum', project: f.project, key: f.key },
    })
  }
  return list
}
