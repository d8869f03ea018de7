// The badge colour picker of the create and settings forms: any colour, the palette suggested.
import { PALETTE, normaliseColor } from '../../src/projects/colors.js'

/** `invalid`: the id of the message saying why the colour posted was refused. */
export function ColorField(props: { value: string; id: string; invalid?: string }) {
  const { value, id, invalid } = props
  return (
    <label class="field field-color" for={id}>
      <span>Badge colour</span>
      <input
        id={id}
        type="color"
        name="color"
        value={normaliseColor(value) ?? PALETTE[0]}
        list="palette"
        aria-invalid={invalid ? 'true' : undefined}
        aria-describedby={invalid}
      />
      <datalist id="palette">
        {PALETTE.map((c) => (
          <option value={c} />
        ))}
      </datalist>
    </label>
  )
}
