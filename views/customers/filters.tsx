// The customers table's filter form (a plain GET form htmx submits in place) and the chips of the
// filters in force. Labels are keyed by the parser's own lists (src/customers/filter-syntax.ts), so
// a filter or sort the parser knows cannot be missing here, nor one it does not know be offered.
import type { ComponentChildren } from 'preact'
import {
  DEFAULT_SORT,
  SORT_KEYS,
  sortParam,
  type FilterParam,
  type SortKey,
} from '../../src/customers/filter-syntax.js'
import type { ProjectInfo } from '../../src/customers/query.js'
import { STATUSES } from '../../src/lib/status.js'
import { SECTION_ID, swap, without } from './urls.js'

function Field(props: { label: string; for: string; children: ComponentChildren; hint?: string }) {
  return (
    <div class="field">
      <label for={props.for}>{props.label}</label>
      {props.children}
      {props.hint ? <small class="muted">{props.hint}</small> : null}
    </div>
  )
}

function ProjectSelect(props: {
  name: string
  id: string
  value: string
  projects: ProjectInfo[]
  withStatuses: boolean
  label: string
}) {
  const { projects, value } = props
  return (
    <select name={props.name} id={props.id} aria-label={props.label}>
      <option value="">—</option>
      {projects.map((p) =>
        props.withStatuses ? (
          <optgroup label={p.name} key={p.slug}>
            <option value={p.slug} selected={value === p.slug}>
              {p.name}: any status
            </option>
            {STATUSES.map((s) => (
              <option value={`${p.slug}:${s}`} selected={value === `${p.slug}:${s}`}>
                {p.name}: {s}
              </option>
            ))}
          </optgroup>
        ) : (
          <option value={p.slug} selected={value === p.slug}>
            {p.name}
          </option>
        ),
      )}
      {value && !projects.some((p) => value === p.slug || value.startsWith(`${p.slug}:`)) ? (
        <option value={value} selected>
          {value}
        </option>
      ) : null}
    </select>
  )
}

/** One control per value a repeatable filter has, plus an empty one to add another. */
function repeated(query: URLSearchParams, name: string): string[] {
  return [...query.getAll(name).filter((v) => v.trim() !== ''), '']
}

export function FilterForm({
  query,
  projects,
}: {
  query: URLSearchParams
  projects: ProjectInfo[]
}) {
  const v = (name: string) => query.get(name) ?? ''
  const sort = v('sort') || sortParam(DEFAULT_SORT)
  return (
    <form
      class="filters"
      method="get"
      action="/customers"
      role="search"
      hx-get="/customers"
      hx-target={`#${SECTION_ID}`}
      hx-swap="outerHTML"
      hx-push-url="true"
    >
      <div class="filters-main">
        <Field label="Search email or name" for="f-q">
          <input id="f-q" type="search" name="q" value={v('q')} placeholder="alex, @acme.com…" />
        </Field>
        {repeated(query, 'in').map((val, i) => (
          <Field label={i === 0 ? 'Uses project' : 'and also uses'} for={`f-in-${i}`}>
            <ProjectSelect
              name="in"
              id={`f-in-${i}`}
              value={val}
              projects={projects}
              withStatuses
              label="Uses project"
            />
          </Field>
        ))}
        {repeated(query, 'not_in').map((val, i) => (
          <Field label={i === 0 ? 'Not in project' : 'and not in'} for={`f-not-in-${i}`}>
            <ProjectSelect
              name="not_in"
              id={`f-not-in-${i}`}
              value={val}
              projects={projects}
              withStatuses={false}
              label="Not in project"
            />
          </Field>
        ))}
        <Field label="Status anywhere" for="f-status">
          <select id="f-status" name="status">
            <option value="">any</option>
            {STATUSES.map((s) => (
              <option value={s} selected={v('status') === s}>
                {s}
              </option>
            ))}
            {v('status') && !(STATUSES as readonly string[]).includes(v('status')) ? (
              <option value={v('status')} selected>
                {v('status')}
              </option>
            ) : null}
          </select>
        </Field>
      </div>
      <details class="filters-more" open={hasAdvanced(query)}>
        <summary>More filters</summary>
        <div class="filters-grid">
          <Field label="In at least N projects" for="f-min">
            <input
              type="text"
              id="f-min"
              name="min_projects"
              inputmode="numeric"
              value={v('min_projects')}
              placeholder="2"
            />
          </Field>
          <Field label="Inactive for days" for="f-inactive" hint="30, or 30@app-a">
            <input
              type="text"
              id="f-inactive"
              name="inactive"
              value={v('inactive')}
              placeholder="30"
            />
          </Field>
          <Field label="Active within days" for="f-active" hint="7, or 7@app-a">
            <input type="text" id="f-active" name="active" value={v('active')} placeholder="7" />
          </Field>
          <Field label="First seen before" for="f-seen-before" hint="2026-01-01 or 14d">
            <input type="text" id="f-seen-before" name="seen_before" value={v('seen_before')} />
          </Field>
          <Field label="First seen after" for="f-seen-after" hint="2026-01-01 or 14d">
            <input type="text" id="f-seen-after" name="seen_after" value={v('seen_after')} />
          </Field>
          <Field label="No project with status" for="f-not-status">
            <input
              type="text"
              id="f-not-status"
              name="not_status"
              value={v('not_status')}
              placeholder="paid,trial"
            />
          </Field>
          {repeated(query, 'p').map((val, i) => (
            <Field
              label={i === 0 ? 'Param' : 'and param'}
              for={`f-p-${i}`}
              hint="plan:eq:pro · app-a.mrr:gte:10 · beta:exists"
            >
              <input type="text" id={`f-p-${i}`} name="p" value={val} placeholder="key:op:value" />
            </Field>
          ))}
          <Field label="Sum of param" for="f-sum" hint="mrr, or app-a.mrr">
            <input type="text" id="f-sum" name="sum" value={v('sum')} placeholder="mrr" />
          </Field>
        </div>
      </details>
      {v('limit') ? <input type="hidden" name="limit" value={v('limit')} /> : null}
      <div class="filters-actions">
        <Field label="Sort by" for="f-sort">
          <select id="f-sort" name="sort">
            {SORTS.map(([value, label]) => (
              <option value={value} selected={sort === value}>
                {label}
              </option>
            ))}
          </select>
        </Field>
        <button type="submit" class="button">
          Apply
        </button>
        <a class="button button-secondary" {...swap('/customers')}>
          Clear
        </a>
      </div>
    </form>
  )
}

/** How each sort key reads, both ways; dates are offered newest first, text A→Z. */
const SORT_LABELS: Record<SortKey, { asc: string; desc: string; newestFirst?: true }> = {
  last_activity: {
    desc: 'Last activity, newest first',
    asc: 'Last activity, oldest first',
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

/** The filters behind "More filters" (open when one of them is in use). */
const ADVANCED: LabelledFilter[] = [
  'min_projects',
  'inactive',
  'active',
  'seen_before',
  'seen_after',
  'not_status',
  'p',
  'sum',
]
const hasAdvanced = (q: URLSearchParams) => ADVANCED.some((k) => (q.get(k) ?? '') !== '')

/** Every filter parameter a person sets, as a chip reads it (sort, page and size are not filters). */
type LabelledFilter = Exclude<FilterParam, 'sort' | 'after' | 'before' | 'limit'>
const FILTER_LABELS: Record<LabelledFilter, string> = {
  q: 'search',
  in: 'uses',
  not_in: 'not in',
  status: 'status',
  not_status: 'no status',
  min_projects: 'projects ≥',
  inactive: 'inactive days',
  active: 'active days',
  seen_before: 'first seen before',
  seen_after: 'first seen after',
  p: 'param',
  sum: 'sum of',
}

/** A query parameter that is a filter (own keys only: `constructor=` is no filter). */
export const isFilter = (name: string): name is LabelledFilter => Object.hasOwn(FILTER_LABELS, name)

/** The filters in force as chips, each with a link that drops it. */
export function ActiveFilters({ query }: { query: URLSearchParams }) {
  const chips = [...query.entries()].filter(
    (e): e is [LabelledFilter, string] => e[1].trim() !== '' && isFilter(e[0]),
  )
  if (chips.length === 0) return null
  return (
    <ul class="chips" aria-label="Filters in use">
      {chips.map(([k, v]) => (
        <li class="chip">
          <span>
            {FILTER_LABELS[k]} <strong>{v}</strong>
          </span>
          <a {...swap(without(query, k, v))} aria-label={`Remove filter ${FILTER_LABELS[k]} ${v}`}>
            ✕
          </a>
        </li>
      ))}
    </ul>
  )
}
