// The customers table's toolbar, one row: search, the filter chips, "+ Filter", sort, save view,
// export. The filter area is a plain GET form (role=search) in which every chip carries its URL
// entry as a field, written back by the builder's model (src/customers/filter-chips.ts): without
// JavaScript a chip opens to its entry as text and "+ Filter" to a field per kind; with it, the
// browser bundle (views/customers/browser/) edits chips in plain controls and applies each change
// at once. Sort labels are keyed by the parser's own lists, so no sort can be missing here.
import { readChips, writeChip, type Chip } from '../../src/customers/filter-chips.js'
import { chipProject, describeChip } from '../../src/customers/filter-words.js'
import {
  DEFAULT_SORT,
  MAX_SEARCH,
  SORT_KEYS,
  queryString,
  sortParam,
  type SortKey,
} from '../../src/customers/filter-syntax.js'
import type { ProjectInfo } from '../../src/customers/query.js'
import { CsrfField } from '../ui/csrf.js'
import { Alert, invalidField, type Refused } from '../ui/elements.js'
import { FORM_ID, SECTION_ID, exportHref, swap, tableQuery, without } from './urls.js'

export interface FilterBarProps {
  query: URLSearchParams
  projects: ProjectInfo[]
  csrfToken?: string
  /** False when the filter cannot be read: its export would only download the error. */
  exportable: boolean
  /** "Save view" refused: shown open, saying why, with the name typed. */
  saveRefused?: Refused
}

export const projectNamer = (projects: ProjectInfo[]) => (slug: string) =>
  projects.find((p) => p.slug === slug)?.name ?? slug

export function FilterBar(props: FilterBarProps) {
  const { query, projects, csrfToken, exportable } = props
  const entries = readChips(query)
  const name = projectNamer(projects)
  return (
    <div class="toolbar">
      <form
        id={FORM_ID}
        class="filters"
        role="search"
        aria-label="Filter customers"
        method="get"
        action="/customers"
        hx-get="/customers"
        hx-target={`#${SECTION_ID}`}
        hx-swap="outerMorph"
        hx-push-url="true"
        hx-sync="replace"
      >
        <label class="visually-hidden" for="f-q">
          Search email or name
        </label>
        <input
          id="f-q"
          class="search"
          type="search"
          name="q"
          value={query.get('q') ?? ''}
          placeholder="Search email or name   /"
          autocomplete="off"
          maxLength={MAX_SEARCH}
        />
        <button
          type="button"
          class="filters-toggle button-chip"
          aria-expanded="false"
          aria-controls="filter-chips"
        >
          Filters ({entries.length})
        </button>
        <ul id="filter-chips" class="chips" aria-label="Filters in use">
          {entries.map((e, i) => (
            <ChipItem
              {...e}
              index={i}
              words={describeChip(e.chip, name)}
              color={projects.find((p) => p.slug === chipProject(e.chip))?.color}
              query={query}
            />
          ))}
          <li class="add-filter-item">
            <AddFilter projects={projects} />
          </li>
        </ul>
        <SortSelect query={query} />
        <noscript>
          <button type="submit" class="button button-small">
            Apply
          </button>
        </noscript>
      </form>
      <SaveView query={query} csrfToken={csrfToken} refused={props.saveRefused} />
      {exportable ? (
        <a class="button button-secondary button-small" href={exportHref(query)} download>
          Export CSV
        </a>
      ) : null}
    </div>
  )
}

/** One condition: its words (which open an editor), its URL entry as a field, a ✕ that drops it. */
function ChipItem(props: {
  name: string
  value: string
  chip: Chip
  index: number
  words: string
  color?: string
  query: URLSearchParams
}) {
  const [name, value] = writeChip(props.chip)
  const problem = props.chip.kind === 'unread' ? props.chip.problem : undefined
  return (
    <li class={`chip${problem ? ' chip-unread' : ''}`} data-chip={props.index} data-param={name}>
      <details class="chip-edit">
        <summary aria-label={`Filter: ${props.words}. Edit`}>
          {props.color ? (
            <span class="dot" style={`--project:${props.color}`} aria-hidden="true" />
          ) : null}
          <span class="chip-words" title={props.words}>
            {props.words}
          </span>
        </summary>
        <div class="chip-raw">
          <label>
            <span class="chip-raw-name">{name}=</span>
            <input class="chip-input" type="text" name={name} value={value} />
          </label>
          {problem ? <small class="chip-problem">{problem}</small> : null}
        </div>
      </details>
      <a
        class="chip-remove"
        {...swap(without(props.query, props.name, props.value))}
        aria-label={`Remove filter: ${props.words}`}
      >
        ✕
      </a>
    </li>
  )
}

/** "+ Filter": with JavaScript, a field picker (the browser bundle); without, a field per kind of
 *  condition, written in the filter syntax, with examples in the account's own slugs. */
function AddFilter({ projects }: { projects: ProjectInfo[] }) {
  const slug = projects[0]?.slug ?? 'app-a'
  const fields: [name: string, label: string, example: string][] = [
    ['in', 'Uses a project (statuses after a colon)', `${slug} or ${slug}:paid,trial`],
    ['not_in', 'Does not use a project', `${slug} or ${slug}:paid`],
    ['status', 'Has a status in any product', 'paid or free,trial'],
    ['not_status', 'Has a status in no product', 'paid,trial'],
    ['min_projects', 'In at least N products', '2'],
    ['active', 'Active within N days', `7 or 7@${slug}`],
    ['inactive', 'Inactive for N days', `30 or 30@${slug}`],
    ['seen_before', 'First seen before', `14d, 2026-01-01, or 14d@${slug}`],
    ['seen_after', 'First seen on or after', `14d or 2026-01-01`],
    ['p', 'A param', `plan:eq:pro, ${slug}.mrr:gte:10, coupon:exists`],
    ['sum', 'Sum of a numeric param', `mrr or ${slug}.mrr`],
    ['changed', 'Status changed to', `status:paid@${slug}:7d or status:churned:2026-11-23`],
  ]
  return (
    <details class="add-filter">
      <summary class="button-chip" aria-haspopup="dialog">
        + Filter
      </summary>
      <noscript>
        <div class="add-filter-fields">
          {fields.map(([name, label, example]) => (
            <label class="field">
              <span>
                {label} <code>{name}=</code>
              </span>
              <input type="text" name={name} value="" placeholder={example} />
            </label>
          ))}
          <p class="small muted">
            The syntax is in the README, “Filtering customers”.{' '}
            <button type="submit" class="button button-small">
              Apply
            </button>
          </p>
        </div>
      </noscript>
    </details>
  )
}

/** How each sort key reads, both ways; dates are offered newest first, text A→Z. */
const SORT_LABELS: Record<SortKey, { asc: string; desc: string; newestFirst?: true }> = {
  last_activity: {
    desc: 'Last active, newest first',
    asc: 'Last active, oldest first',
    newestFirst: true,
  },
  first_seen: {
    desc: 'First seen, newest first',
    asc: 'First seen, oldest first',
    newestFirst: true,
  },
  email: { asc: 'Email, A→Z', desc: 'Email, Z→A' },
  name: { asc: 'Name, A→Z', desc: 'Name, Z→A' },
}

type Direction = 'asc' | 'desc'

/** Dates start newest first, text A→Z (the sort select's order, and a column's first click). */
export const firstDirection = (key: SortKey): Direction =>
  SORT_LABELS[key].newestFirst ? 'desc' : 'asc'

/** The sort select's options: every sort key, both ways, its first direction first. */
const SORTS = SORT_KEYS.flatMap((key) => {
  const first = firstDirection(key)
  const dirs: Direction[] = first === 'desc' ? ['desc', 'asc'] : ['asc', 'desc']
  return dirs.map((dir) => [sortParam({ key, dir }), SORT_LABELS[key][dir]] as const)
})

function SortSelect({ query }: { query: URLSearchParams }) {
  const sort = query.get('sort') || sortParam(DEFAULT_SORT)
  const known = SORTS.some(([value]) => value === sort)
  return (
    <>
      <label class="visually-hidden" for="f-sort">
        Sort by
      </label>
      <select id="f-sort" name="sort" class="sort-select">
        {SORTS.map(([value, label]) => (
          <option value={value} selected={sort === value}>
            {label}
          </option>
        ))}
        {known ? null : (
          <option value={sort} selected>
            {sort}
          </option>
        )}
      </select>
    </>
  )
}

/** "Save view": names the current filter (a form of its own, posted; the rail shows it). Refused,
 *  it comes back open, saying why under the name typed. */
function SaveView(props: { query: URLSearchParams; csrfToken?: string; refused?: Refused }) {
  const { refused } = props
  const nameRefused = refused?.field === 'name' ? refused : undefined
  return (
    <details class="save-view" open={refused ? true : undefined}>
      <summary class="button button-secondary button-small">Save view</summary>
      <form method="post" action="/customers/views" class="save-view-form">
        <CsrfField token={props.csrfToken} />
        <input type="hidden" name="query" value={queryString(tableQuery(props.query))} />
        <label for="save-view-name">Name this view</label>
        <div class="save-view-row">
          <input
            id="save-view-name"
            type="text"
            name="name"
            maxLength={80}
            required
            value={refused?.draft.name}
            {...invalidField(nameRefused, 'save-view-error')}
          />
          <button type="submit" class="button button-small">
            Save
          </button>
        </div>
        <Alert error={refused?.message} id="save-view-error" />
      </form>
    </details>
  )
}
