// The one colour rule of a project's badge, for the dashboard, the account API and the CLI alike:
// any #rrggbb (or #rgb, stored as #rrggbb, lower case); a new project without one takes the next
// colour of the palette; the text on a badge is black or white, whichever contrasts more (WCAG 2
// relative luminance), so every badge stays readable.
import { ApiError } from '../lib/errors.js'

const COLOR_PATTERN = /^#[0-9a-f]{6}$/

export const PALETTE = [
  '#4f46e5',
  '#0f766e',
  '#b45309',
  '#be123c',
  '#7c3aed',
  '#15803d',
  '#0369a1',
  '#fde047',
  '#f9a8d4',
  '#94a3b8',
]

/** The colour of the account's next project when none is chosen: the palette in turn. */
export function defaultColor(existingProjects: number): string {
  return PALETTE[existingProjects % PALETTE.length]!
}

/** `#RRGGBB` or `#rgb` as `#rrggbb`; undefined for anything else. */
export function normaliseColor(input: string | undefined): string | undefined {
  const c = input?.trim().toLowerCase()
  if (!c) return undefined
  const short = /^#([0-9a-f])([0-9a-f])([0-9a-f])$/.exec(c)
  const full = short ? `#${short[1]}${short[1]}${short[2]}${short[2]}${short[3]}${short[3]}` : c
  return COLOR_PATTERN.test(full) ? full : undefined
}

/** The colour as stored, or a 400 naming the field. */
export function validateColor(input: string): string {
  const color = normaliseColor(input)
  if (!color) {
    throw new ApiError('validation_failed', 'The colour must look like #4f46e5.', [
      { path: 'color', message: 'a #rrggbb colour' },
    ])
  }
  return color
}

function luminance(hex: string): number {
  const channel = (i: number) => {
    const v = Number.parseInt(hex.slice(i, i + 2), 16) / 255
    return v <= 0.04045 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4
  }
  return 0.2126 * channel(1) + 0.7152 * channel(3) + 0.0722 * channel(5)
}

export function contrastRatio(a: string, b: string): number {
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x) as [number, number]
  return (hi + 0.05) / (lo + 0.05)
}

/**
 * '#ffffff' or '#000000', whichever reads better on `background`. Pure black and white are the
 * only pair where the better of the two reaches 4.5:1 (WCAG AA) on every colour, mid-greys included.
 */
export function textColorOn(background: string): string {
  const bg = normaliseColor(background) ?? PALETTE[0]!
  return contrastRatio(bg, '#ffffff') >= contrastRatio(bg, '#000000') ? '#ffffff' : '#000000'
}

/** Inline style for a project badge (the CSP allows style attributes; they cannot run code). */
export function badgeStyle(color: string): string {
  const bg = normaliseColor(color) ?? PALETTE[0]!
  return `background:${bg};color:${textColorOn(bg)}`
}
