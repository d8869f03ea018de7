// The badge colour picker of the create and settings forms: any colour, the palette suggested.
import { PALETTE, normaliseColor } from '../../src/projects/colors.js'

export function ColorField({ value, id }: { value: string; id: string }) {
  return (
    <label class="field field-color" for={id}>
      <span>Badge colour</span>
      <input
        id={id}
        type="color"
        name="color"
        value={normaliseColor(value) ?? PALETTE[0]}
        list="palette"
      />
      <datalist id="palette">
        {PALETTE.map((c) => (
          <option value={c} />
        ))}
      </datalist>
    </label>
  )
}
