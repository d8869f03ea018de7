// How text travels through a CSV cell and comes back the same. A spreadsheet runs a cell starting
// with = + - @ (or a tab or CR before them) as a formula, and reads 42, TRUE or 2026-01-01 as a
// number, a boolean or a date; an apostrophe in front makes any cell text, and is not shown. So
// the export puts one before every text that would otherwise be read as something else (or that
// starts with an apostrophe itself, or is empty: an empty cell means "no value"), and the import
// takes exactly that apostrophe off again: `unguardText(guardText(s)) === s` for every string.
// The importer's own column types (./mapping.ts) read cells with these same tests.

export const NUMBER_TEXT = /^-?\d+(\.\d+)?([eE][+-]?\d+)?$/
export const BOOLEAN_TEXT = /^(true|false)$/i
export const DATE_TEXT = /^\d{4}-\d{2}-\d{2}([T ][\d:.]+(Z|[+-]\d{2}:?\d{2})?)?$/
const FORMULA_START = /^[=+\-@\t\r']/

/** A JSON object or array, as an export writes a param that is one. */
export function isJsonText(s: string): boolean {
  if (!/^[[{]/.test(s)) return false
  try {
    JSON.parse(s)
    return true
  } catch {
    return false
  }
}

/** Whether a text cell needs the apostrophe to come back as this very text. */
function needsGuard(s: string): boolean {
  const trimmed = s.trim()
  return (
    trimmed === '' ||
    FORMULA_START.test(s) ||
    NUMBER_TEXT.test(trimmed) ||
    BOOLEAN_TEXT.test(trimmed) ||
    DATE_TEXT.test(trimmed) ||
    isJsonText(trimmed)
  )
}

/** Text as the export writes it: with a leading apostrophe when it needs one. */
export function guardText(s: string): string {
  return needsGuard(s) ? `'${s}` : s
}

/** A cell as the import reads text: the export's apostrophe taken off, nothing else changed. */
export function unguardText(cell: string): string {
  return cell.startsWith("'") && needsGuard(cell.slice(1)) ? cell.slice(1) : cell
}
