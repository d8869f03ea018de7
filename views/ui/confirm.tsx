// A button whose action asks first: it opens a small dialog saying what will happen, with Cancel
// (focused) and the action itself. Built on the HTML popover attribute, so it needs no script
// and closes with Esc or a click outside; the form inside posts as any other.
import type { ComponentChildren } from 'preact'
import { CsrfField } from './csrf.js'

export interface ConfirmActionProps {
  /** Unique on the page: the dialog's id. */
  id: string
  /** The button that opens the dialog. */
  label: string
  /** Its accessible name when the label alone is ambiguous ("Revoke key tcrm_proj_ab…"). */
  ariaLabel?: string
  title: string
  /** What will happen, in words. */
  children: ComponentChildren
  action: string
  confirmLabel: string
  csrfToken: string | undefined
  /** Hidden fields the form posts besides the CSRF token. */
  fields?: Record<string, string>
  tone?: 'primary' | 'danger'
  small?: boolean
  /** The opening button's look when it differs from the action's (a secondary Rotate…). */
  triggerClass?: string
  /** In a menu: the opening button is an item of the menu, of this class, not a button. */
  itemClass?: string
  /** The form's htmx attributes, when its answer is swapped in (the rail of views redrawn). */
  hx?: Record<string, string>
}

export function ConfirmAction(props: ConfirmActionProps) {
  const tone = props.tone ?? 'danger'
  const size = props.small ? ' button-small' : ''
  const trigger = props.triggerClass ?? (tone === 'danger' ? 'button-danger-quiet' : '')
  return (
    <>
      <button
        type="button"
        class={props.itemClass ?? `button ${trigger}${size}`.replace(/ +/g, ' ').trim()}
        popovertarget={props.id}
        aria-label={props.ariaLabel}
        aria-haspopup="dialog"
      >
        {props.label}
      </button>
      <div
        id={props.id}
        popover="auto"
        class="confirm"
        role="dialog"
        aria-labelledby={`${props.id}-title`}
      >
        <h2 id={`${props.id}-title`} class="confirm-title">
          {props.title}
        </h2>
        <div class="confirm-body">{props.children}</div>
        <form method="post" action={props.action} class="confirm-actions" {...props.hx}>
          <CsrfField token={props.csrfToken} />
          {Object.entries(props.fields ?? {}).map(([name, value]) => (
            <input type="hidden" name={name} value={value} />
          ))}
          <button
            type="button"
            class="button button-secondary"
            popovertarget={props.id}
            popovertargetaction="hide"
            autofocus
          >
            Cancel
          </button>
          <button type="submit" class={tone === 'danger' ? 'button button-danger' : 'button'}>
            {props.confirmLabel}
          </button>
        </form>
      </div>
    </>
  )
}
