// Small pieces several pages show: a project's badge, a time (relative, exact on hover), an alert,
// a refused form's field, the "type it to confirm" field of a deletion, a count with its noun.
import type { ShownRefusal } from '../../src/lib/flash.js'
import { badgeStyle } from '../../src/projects/colors.js'
import { exactTime, relativeTime, shortDate } from './format.js'

export function ProjectBadge({ name, color }: { name: string; color: string }) {
  return (
    <span class="badge" style={badgeStyle(color)}>
      {name}
    </span>
  )
}

/** "3 days ago", with the exact UTC time on hover. */
export function Time({ date, now }: { date: Date; now?: Date }) {
  return (
    <time datetime={date.toISOString()} title={exactTime(date)}>
      {relativeTime(date, now)}
    </time>
  )
}

/** "3 Mar 2026 · 8 months ago": the day beside the age, so sorting by date reads as dates; the
 *  exact UTC time on hover. */
export function DateAndAge({ date, now }: { date: Date; now?: Date }) {
  return (
    <time datetime={date.toISOString()} title={exactTime(date)}>
      {shortDate(date)}
      <span class="age"> · {relativeTime(date, now)}</span>
    </time>
  )
}

/** Why a form was refused; with an `id`, the field it is about names it in aria-describedby.
 *  `wide`: in an inline form, a row of its own under the fields. */
export function Alert({ error, id, wide }: { error?: string; id?: string; wide?: boolean }) {
  return error ? (
    <p class={wide ? 'alert form-wide' : 'alert'} role="alert" id={id}>
      {error}
    </p>
  ) : null
}

/** A form the server refused (the redirect's flash, src/lib/flash.ts): why, the field it is
 *  about, and what was typed. */
export type Refused = Pick<ShownRefusal, 'message' | 'field' | 'draft'>

/** The attributes of the field a refused form's message (`messageId`) is about: marked invalid,
 *  described by the message, and focused, so a keyboard or screen-reader user lands on it. */
export function invalidField(refused: Refused | undefined, messageId: string) {
  return refused
    ? { 'aria-invalid': 'true' as const, 'aria-describedby': messageId, autofocus: true }
    : {}
}

/** The field a deletion asks for, "Type <the thing's name> to confirm" (`confirm`), typed again
 *  and marked invalid when the server refused it. */
export function TypeToConfirm(props: {
  expected: string
  refused: Refused | undefined
  messageId: string
  id?: string
}) {
  return (
    <label class="field">
      <span>
        Type <strong>{props.expected}</strong> to confirm
      </span>
      <input
        type="text"
        name="confirm"
        id={props.id}
        required
        autocomplete="off"
        spellcheck={false}
        value={props.refused?.draft.confirm ?? ''}
        {...invalidField(props.refused, props.messageId)}
      />
    </label>
  )
}

export function plural(n: number, word: string) {
  return `${n.toLocaleString('en')} ${word}${n === 1 ? '' : 's'}`
}
