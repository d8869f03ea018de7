// The import page's mapping form: per column of the file, where it goes (email, name, status, a
// date, a param of a type, or nowhere), with its first value beside it.
import {
  PARAM_TYPES,
  TARGETS,
  type ColumnMapping,
  type Mapping,
  type Target,
} from '../../src/csv/mapping.js'
import { CsrfField } from '../ui/csrf.js'
import { Alert, invalidField, type Refused } from '../ui/elements.js'

const LABELS: Record<Target, string> = {
  skip: 'Skip',
  email: 'Email',
  name: 'Name',
  first_name: 'First name',
  last_name: 'Last name',
  status: 'Status',
  first_seen: 'First seen (date)',
  last_activity: 'Last activity (date)',
  param: 'Param',
}

function MappingRow(props: {
  i: number
  header: string
  m: ColumnMapping
  sample: string
  suggestedKey: string
  refused?: Refused
}) {
  const { i, m, header } = props
  /** The field a refusal is about: marked, described by the message, focused. */
  const at = (name: string) =>
    invalidField(props.refused?.field === name ? props.refused : undefined, 'mapping-error')
  return (
    <tr class="mapping-row">
      <th scope="row" data-label="Column">
        {header}
      </th>
      <td class="mapping-sample" data-label="First value">
        {props.sample ? <span>{props.sample}</span> : <span class="muted">empty</span>}
      </td>
      <td data-label="Goes to">
        <select name={`target_${i}`} aria-label={`Column ${header} goes to`} {...at(`target_${i}`)}>
          {TARGETS.map((t) => (
            <option value={t} selected={m.target === t}>
              {LABELS[t]}
            </option>
          ))}
        </select>
      </td>
      <td class="param-only" data-label="Param name">
        <input
          type="text"
          name={`key_${i}`}
          value={m.key ?? props.suggestedKey}
          aria-label={`Param name for ${header}`}
          maxLength={200}
          spellcheck={false}
          {...at(`key_${i}`)}
        />
      </td>
      <td class="param-only" data-label="Type">
        <select name={`type_${i}`} aria-label={`Type of ${header}`} {...at(`type_${i}`)}>
          {PARAM_TYPES.map((t) => (
            <option value={t} selected={(m.type ?? 'text') === t}>
              {t}
            </option>
          ))}
        </select>
      </td>
    </tr>
  )
}

export function MappingForm(props: {
  id: number
  header: string[]
  mapping: Mapping
  /** Per column, its value in the first data row. */
  firstValues: string[]
  /** Per column, the param name its header suggests. */
  suggestedKeys: string[]
  /** A dry run has run: the form changes the mapping and runs it again. */
  again: boolean
  csrfToken?: string
  /** A mapping refused (the redirect's flash): why, above the columns, at the field at fault. */
  refused?: Refused
}) {
  return (
    <form method="post" action={`/imports/${props.id}/mapping`} class="card stack">
      <CsrfField token={props.csrfToken} />
      <h2>{props.again ? 'Change the mapping' : 'Map the columns'}</h2>
      <p class="muted small">
        Each column goes to the email (exactly one), the name (or first and last names, joined), the
        status, a first-seen or last-activity date, a typed param, or nowhere. Empty cells change
        nothing; nothing is written until you import.
      </p>
      <Alert error={props.refused?.message} id="mapping-error" />
      <div class="table-wrap mapping-wrap">
        <table class="table mapping-table">
          <thead>
            <tr>
              <th scope="col">Column</th>
              <th scope="col">First value</th>
              <th scope="col">Goes to</th>
              <th scope="col">Param name</th>
              <th scope="col">Type</th>
            </tr>
          </thead>
          <tbody>
            {props.header.map((h, i) => (
              <MappingRow
                i={i}
                header={h}
                m={props.mapping[i] ?? { target: 'skip' }}
                sample={props.firstValues[i] ?? ''}
                suggestedKey={props.suggestedKeys[i] ?? ''}
                refused={props.refused}
              />
            ))}
          </tbody>
        </table>
      </div>
      <div class="button-row">
        <button type="submit" class={props.again ? 'button button-secondary' : 'button'}>
          {props.again ? 'Run the dry run again' : 'Dry run'}
        </button>
      </div>
    </form>
  )
}
