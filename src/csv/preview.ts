// The import page's preview: the first rows of the file as the mapping will store them, each
// value converted by the import's own conversion (./mapping.ts), so what it shows is what it does.
import { convertRow, type Mapping, type Target } from './mapping.js'

/** The first rows as they will be stored: one column per mapped column (params by their key). */
export interface ImportPreview {
  columns: { label: string; /** A param's type. */ hint: string }[]
  rows: { line: number; cells?: string[]; error?: string }[]
}

const COLUMN_LABELS: Record<Exclude<Target, 'skip' | 'param' | NamePart>, string> = {
  email: 'Email',
  name: 'Name',
  status: 'Status',
  first_seen: 'First seen',
  last_activity: 'Last activity',
}

type NamePart = 'first_name' | 'last_name'
const NAME_TARGETS: Target[] = ['name', 'first_name', 'last_name']

/** How one value reads in the preview: text as it is, JSON for the rest; '' for "leaves it". */
function shown(value: unknown): string {
  if (value === undefined || value === null) return ''
  if (value instanceof Date) return value.toISOString()
  return typeof value === 'string' ? value : JSON.stringify(value)
}

/** The first rows as they will be stored: one column per mapped column, each value converted. */
export function previewRows(sample: string[][], mapping: Mapping, header: string[]): ImportPreview {
  // The name, whichever columns make it (a full name, a first and a last name), is one column: the
  // name as stored, where the first of them is.
  const nameColumn = mapping.find((m) => NAME_TARGETS.includes(m.target))
  const mapped = mapping
    .filter((m) => m.target !== 'skip')
    .filter((m) => !NAME_TARGETS.includes(m.target) || m === nameColumn)
    .map((m) => (m === nameColumn ? { target: 'name' as const } : m))
  const columns = mapped.map((m) =>
    m.target === 'param'
      ? { label: m.key!, hint: m.type ?? 'text' }
      : { label: COLUMN_LABELS[m.target as keyof typeof COLUMN_LABELS], hint: '' },
  )
  const rows = sample.map((row) => {
    const line = Number(row[0])
    const converted = convertRow(row, mapping, header)
    if (converted.error) return { line, error: converted.error }
    const items = converted.items!
    const main = items[items.length - 1]!
    const identify = main.type === 'identify' ? main : undefined
    const cells = mapped.map((m) => {
      switch (m.target) {
        case 'email':
          return main.email
        case 'name':
          return shown(identify?.name)
        case 'status':
          return shown(identify?.status)
        case 'first_seen':
          return items.length > 1 ? shown(items[0]!.timestamp) : ''
        case 'last_activity':
          return converted.hasActivity ? shown(main.timestamp) : ''
        default:
          return shown(identify?.params?.[m.key!])
      }
    })
    return { line, cells }
  })
  return { columns, rows }
}
