// The filter builder: "+ Filter" opens a field picker (the account's projects, statuses, activity,
// dates, every param key it has, "sum of"), a chip opens its editor (./editors.ts). Both live in one
// popover outside the #customers section, so htmx morphing the table behind it never closes it.
// Every edit that writes back to the URL syntax without loss (chipProblem) is applied at once:
// the chip's own form field gets the new URL entry and the filter form is submitted (htmx morphs
// the table and pushes the URL). The URL stays the only state: the form's fields are the chips.
import type { FilterFields } from '../../../src/customers/fields.js'
import { chipProblem, readChip, writeChip, type Chip } from '../../../src/customers/filter-chips.js'
import { describeChip } from '../../../src/customers/filter-words.js'
import { editorFor } from './editors.js'
import { picks, projectName, type Pick } from './picks.js'
import { h, uid } from './dom.js'

const FORM = 'filters'
let fieldsPromise: Promise<FilterFields> | undefined

/** What the account has to filter on, fetched once when the builder first opens. */
function loadFields(): Promise<FilterFields> {
  fieldsPromise ??= fetch('/customers/fields', { headers: { Accept: 'application/json' } }).then(
    (res) => {
      if (!res.ok) throw new Error(`fields: ${res.status}`)
      return res.json() as Promise<FilterFields>
    },
  )
  fieldsPromise.catch(() => (fieldsPromise = undefined))
  return fieldsPromise
}

const form = () => document.getElementById(FORM) as HTMLFormElement | null
const chipItem = (index: number) =>
  form()?.querySelector<HTMLElement>(`.chip[data-chip="${index}"]`) ?? null
const chipCount = () => form()?.querySelectorAll('.chip').length ?? 0

interface Open {
  popover: HTMLElement
  /** The element focus returns to when the popover closes. */
  anchor: () => HTMLElement | null
  /** Run as it closes: an editor applies the edit still waiting for a pause in the typing. */
  onClose?: () => void
}
let open: Open | undefined

export function closePopover(focusBack = true) {
  if (!open) return
  const { popover, anchor, onClose } = open
  open = undefined
  onClose?.()
  popover.remove()
  const a = anchor()
  a?.setAttribute('aria-expanded', 'false')
  if (focusBack) a?.focus()
}

export const popoverOpen = () => open !== undefined

/** A non-modal dialog under `at`, focus on its first control. */
function showPopover(
  at: HTMLElement,
  label: string,
  body: HTMLElement[],
  anchor: Open['anchor'],
  onClose?: Open['onClose'],
) {
  closePopover(false)
  const title = h('h2', { class: 'popover-title', id: uid('popover') }, label)
  const popover = h(
    'div',
    { class: 'filter-popover', role: 'dialog', 'aria-labelledby': title.id },
    title,
    ...body,
  )
  // It sits at the end of the page, so Tab past its last control (or Shift+Tab before its first)
  // would leave it open with focus off the page: it closes instead, focus back on its button, as
  // Esc does (an edit waiting for a pause in the typing is applied).
  popover.addEventListener('keydown', (e) => {
    if (e.key !== 'Tab') return
    const stops = [...popover.querySelectorAll<HTMLElement>('input, select, button')].filter(
      (el) => !(el as HTMLInputElement).disabled && el.getClientRects().length > 0,
    )
    if (document.activeElement !== (e.shiftKey ? stops[0] : stops.at(-1))) return
    e.preventDefault()
    closePopover()
  })
  document.body.appendChild(popover)
  const r = at.getBoundingClientRect()
  const left = Math.max(8, Math.min(r.left, window.innerWidth - popover.offsetWidth - 8))
  popover.style.top = `${r.bottom + window.scrollY + 6}px`
  popover.style.left = `${left + window.scrollX}px`
  at.setAttribute('aria-expanded', 'true')
  open = { popover, anchor, onClose }
  popover.querySelector<HTMLElement>('input, select, button')?.focus()
}

/** A chip's place in the form: its index among the chips, and the field added for a new chip
 *  until the table (re)drawn by the server shows it at that index. */
interface Place {
  index: number | null
  added?: HTMLInputElement
}

/** Writes a chip into the form (a new one at the end) and submits it: htmx swaps the table. A
 *  chip the form holds already as it is sends nothing. */
function apply(place: Place, chip: Chip): Place {
  const f = form()
  if (!f) return place
  const [name, value] = writeChip(chip)
  const shown =
    place.index === null
      ? null
      : chipItem(place.index)?.querySelector<HTMLInputElement>('.chip-input')
  const input = shown ?? (place.added?.isConnected ? place.added : null)
  if (input) {
    if (input.name === name && input.value === value) return place
    input.name = name
    input.value = value
  } else {
    place = { index: chipCount(), added: h('input', { type: 'hidden', name, value }) }
    f.appendChild(place.added!)
  }
  f.requestSubmit()
  return place
}

/** Drops chip `index` from the form and submits it. */
function remove(index: number) {
  const item = chipItem(index)
  item?.querySelector('.chip-input')?.remove()
  item?.remove()
  form()?.requestSubmit()
}

/** The editor of a chip: `index` null for one not applied yet (from the picker). */
function editChip(at: HTMLElement, fields: FilterFields, chip: Chip, index: number | null) {
  let place: Place = { index }
  const name = projectName(fields)
  const status = h('p', { class: 'popover-status small', 'aria-live': 'polite' })
  const controls = h('div', { class: 'popover-controls' })
  let current = chip
  // Its controls change with the kind of time (days or a date) and the operator (its values).
  const shape = (c: Chip) =>
    'when' in c ? `${c.kind}-${'daysAgo' in c.when}` : c.kind === 'param' ? `p-${c.op}` : c.kind
  const draw = () => controls.replaceChildren(...editorFor(current, fields, change))
  const say = () => {
    const problem = chipProblem(current)
    status.textContent = problem ? `Not applied yet: ${problem}` : describeChip(current, name)
    status.classList.toggle('is-problem', !!problem)
  }
  // The edit waiting for a pause in the typing, if any.
  let timer: ReturnType<typeof setTimeout> | undefined
  const cancel = () => {
    clearTimeout(timer)
    timer = undefined
  }
  function change(next: Chip) {
    const redraw = shape(next) !== shape(current)
    // An unread condition is read again as typed: once the parser accepts it, it is a chip.
    current = next.kind === 'unread' ? readChip(next.name, next.value) : next
    say()
    if (redraw) {
      const focused = document.activeElement
      const i = [...controls.querySelectorAll('input, select')].indexOf(focused as Element)
      draw()
      controls.querySelectorAll<HTMLElement>('input, select')[Math.max(i, 0)]?.focus()
    }
    // Typing waits for a pause; a click applies at once. What cannot be applied yet cancels the
    // edit still waiting (it would apply this one).
    cancel()
    if (chipProblem(current)) return
    const active = document.activeElement
    const typing = active instanceof HTMLInputElement && ['text', 'number'].includes(active.type)
    if (typing) timer = setTimeout(applyNow, 400)
    else applyNow()
  }
  function applyNow() {
    cancel()
    place = apply(place, current)
  }
  // Closed (Done, Esc, a click elsewhere) with typing still waiting for its pause: applied now, so
  // no timer outlives its editor to write over the next one's edit of the same chip.
  const flush = () => {
    if (timer !== undefined) applyNow()
  }
  draw()
  say()
  const done = h('button', { type: 'button', class: 'button button-small' }, 'Done')
  done.addEventListener('click', () => closePopover())
  const drop = h('button', { type: 'button', class: 'button button-secondary button-small' })
  drop.textContent = 'Remove filter'
  drop.addEventListener('click', () => {
    cancel()
    if (place.added?.isConnected) {
      place.added.remove()
      form()?.requestSubmit()
    } else if (place.index !== null) remove(place.index)
    closePopover(false)
    addButton()?.focus()
  })
  // A field picked that is a whole condition already ("Uses App A") applies at once.
  if (index === null && !chipProblem(current)) place = apply(place, current)
  showPopover(
    at,
    index === null ? 'Add a filter' : 'Edit filter',
    [controls, status, h('div', { class: 'popover-actions' }, done, drop)],
    () =>
      (place.index === null
        ? null
        : chipItem(place.index)?.querySelector<HTMLElement>('summary')) ?? addButton(),
    flush,
  )
  // A param whose key is known already (picked from the list, or a chip edited): what is left to
  // type is its value, so typing goes there, not onto the end of the key.
  if (current.kind === 'param' && current.key) {
    controls.querySelector<HTMLElement>('input.param-value-box')?.focus()
  }
}

const addButton = () => document.querySelector<HTMLElement>('.add-filter > summary')

/** The field picker: a search box over every field, grouped; picking one opens its editor. The
 *  box is there (and focused) at once; the fields fill the list when they arrive, filtered by
 *  what was typed meanwhile. */
function pickField(at: HTMLElement, loading: Promise<FilterFields>) {
  let fields: FilterFields | undefined
  let all: Pick[] = []
  let pickWhenLoaded = false
  const search = h('input', {
    type: 'search',
    class: 'picker-search',
    placeholder: 'Find a field…',
    'aria-label': 'Find a field',
    autocomplete: 'off',
  })
  const list = h('div', { class: 'picker-list' })
  const draw = () => {
    if (!fields) return list.replaceChildren(h('p', { class: 'muted small' }, 'Loading fields…'))
    const loaded = fields
    const words = search.value.trim().toLowerCase()
    const shown = all.filter((p) => `${p.label} ${p.hint ?? ''}`.toLowerCase().includes(words))
    const groups = [...new Set(shown.map((p) => p.group))]
    list.replaceChildren(
      ...groups.map((g) =>
        h(
          'div',
          { class: 'picker-group', role: 'group', 'aria-label': g },
          h('p', { class: 'picker-group-name' }, g),
          shown
            .filter((p) => p.group === g)
            .map((p) => {
              const button = h(
                'button',
                { type: 'button', class: 'picker-item' },
                p.label,
                p.hint ? h('span', { class: 'picker-hint' }, p.hint) : null,
              )
              button.addEventListener('click', () => editChip(at, loaded, p.chip, null))
              return button
            }),
        ),
      ),
    )
    if (!shown.length) list.replaceChildren(h('p', { class: 'muted small' }, 'No such field.'))
  }
  // Enter in the search box picks the first field shown (the list is filtered by the box, so it
  // matches what was typed); before the fields arrive, once they do.
  const pickFirst = () => list.querySelector<HTMLButtonElement>('.picker-item')?.click()
  search.addEventListener('input', draw)
  search.addEventListener('keydown', (e) => {
    if (e.key !== 'Enter') return
    e.preventDefault()
    if (fields) pickFirst()
    else pickWhenLoaded = true
  })
  draw()
  showPopover(at, 'Filter by', [search, list], addButton)
  at.setAttribute('aria-busy', 'true')
  loading
    .then((loaded) => {
      if (!list.isConnected) return // closed meanwhile
      fields = loaded
      all = picks(loaded)
      draw()
      if (pickWhenLoaded) pickFirst()
    })
    .catch(() => {
      if (list.isConnected) {
        list.replaceChildren(h('p', { class: 'muted small' }, 'Could not load the fields.'))
      }
    })
    .finally(() => at.removeAttribute('aria-busy'))
}

async function withFields(at: HTMLElement, then: (fields: FilterFields) => void) {
  at.setAttribute('aria-busy', 'true')
  try {
    then(await loadFields())
  } finally {
    at.removeAttribute('aria-busy')
  }
}

/** Clicks on a chip or on "+ Filter" open the builder instead of the plain-form details. */
export function startBuilder() {
  document.addEventListener('click', (event) => {
    const target = event.target as Element | null
    const summary = target?.closest?.('summary')
    if (summary?.parentElement?.matches('.add-filter')) {
      event.preventDefault()
      if (open) return closePopover()
      return pickField(summary as HTMLElement, loadFields())
    }
    const chip = summary?.closest<HTMLElement>('.chip')
    if (summary && chip && summary.parentElement?.matches('.chip-edit')) {
      event.preventDefault()
      const input = chip.querySelector<HTMLInputElement>('.chip-input')
      const index = Number(chip.dataset.chip)
      if (!input) return
      return void withFields(summary as HTMLElement, (fields) =>
        editChip(summary as HTMLElement, fields, readChip(input.name, input.value), index),
      )
    }
    // A click outside the popover closes it.
    // (Not a click whose target the popover itself just replaced: picking a field.)
    if (open && target?.isConnected && !open.popover.contains(target)) closePopover(false)
  })
  for (const s of document.querySelectorAll('.add-filter > summary, .chip-edit > summary')) {
    s.setAttribute('aria-expanded', 'false')
  }
}
