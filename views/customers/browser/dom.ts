// A few DOM helpers for the customers table's browser code (no framework: the page is server
// rendered, this only adds what needs a script).

type Attrs = Record<string, string | number | boolean | undefined | null>
type Child = Node | string | null | undefined | false

/** An element with attributes (true: present, false/null/undefined: absent) and children. */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Attrs = {},
  ...children: (Child | Child[])[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag)
  for (const [k, v] of Object.entries(attrs)) {
    if (v === true) el.setAttribute(k, '')
    else if (v !== false && v !== null && v !== undefined) el.setAttribute(k, String(v))
  }
  // appendChild, not append: the Workers types' Element (HTMLRewriter) shadows the DOM's append.
  for (const c of children.flat()) {
    if (c) el.appendChild(typeof c === 'string' ? document.createTextNode(c) : c)
  }
  return el
}

let ids = 0
/** A fresh id for pairing a label with its control. */
export const uid = (prefix: string) => `${prefix}-${++ids}`

/** A form control. (HTMLSelectElement is not an HTMLElement to TypeScript here: the Workers types'
 *  Element gives `remove()` another return type than the select's own.) */
export type Control = HTMLInputElement | HTMLSelectElement | HTMLElement

/** A labelled control in a `.field`. */
export function field(label: string, control: Control): HTMLElement {
  if (!control.id) control.id = uid('fe')
  return h('div', { class: 'field' }, h('label', { for: control.id }, label), control)
}

/** A number input whose value is read as a whole number (NaN when empty). */
export function numberInput(value: number, min: number) {
  return h('input', { type: 'number', min, step: 1, value, inputmode: 'numeric' })
}

/** Calls `fn` after every edit of a control: as typed, or once a date or a select is set. */
export const onEdit = (el: Control, fn: () => void) => {
  el.addEventListener('change', fn)
  if (el instanceof HTMLInputElement && el.type !== 'date') el.addEventListener('input', fn)
}

/** A group of radio buttons; `onPick` gets the value chosen. */
export function radios(
  legend: string,
  options: [value: string, label: string][],
  value: string,
  onPick: (value: string) => void,
): HTMLElement {
  const name = uid('radio')
  return h(
    'fieldset',
    { class: 'choice-group' },
    h('legend', {}, legend),
    options.map(([v, label]) => {
      const input = h('input', { type: 'radio', name, value: v, checked: v === value })
      input.addEventListener('change', () => input.checked && onPick(v))
      return h('label', { class: 'choice' }, input, ` ${label}`)
    }),
  )
}

/** A group of checkboxes; `onChange` gets the values checked, in the options' order. */
export function checkboxes(
  legend: string,
  options: [value: string, label: string][],
  checked: string[],
  onChange: (values: string[]) => void,
): HTMLElement {
  const inputs = options.map(([v]) =>
    h('input', { type: 'checkbox', value: v, checked: checked.includes(v) }),
  )
  const fire = () => onChange(inputs.filter((i) => i.checked).map((i) => i.value))
  inputs.forEach((i) => i.addEventListener('change', fire))
  return h(
    'fieldset',
    { class: 'choice-group' },
    h('legend', {}, legend),
    options.map(([, label], i) => h('label', { class: 'choice' }, inputs[i]!, ` ${label}`)),
  )
}

/** A select of `[value, label]` options. */
export function select(
  options: [value: string, label: string][],
  value: string,
): HTMLSelectElement {
  return h(
    'select',
    {},
    options.map(([v, label]) => h('option', { value: v, selected: v === value }, label)),
  )
}

/** Whether a key press lands in something the user types into. */
export function isTyping(target: EventTarget | null): boolean {
  const el = target as HTMLElement | null
  if (!el || !el.tagName) return false
  return (
    el.isContentEditable ||
    el.tagName === 'TEXTAREA' ||
    el.tagName === 'SELECT' ||
    (el.tagName === 'INPUT' &&
      !['checkbox', 'radio', 'button', 'submit'].includes((el as HTMLInputElement).type))
  )
}
