// The one rule for an email address, wherever one comes in (ingest, CSV import, billing events,
// sign-up, log-in, the CLI): trimmed, lower-cased, a plain address (zod's: no quotes, angle
// brackets or spaces) and at most 254 characters (RFC 5321's limit for a path, and well under
// what a Postgres index row can hold).
import * as z from 'zod/mini'
import { validationError } from './validation.js'

export const MAX_EMAIL_LENGTH = 254

export const emailSchema = z.pipe(
  z.string({ error: 'email is required and must be a string' }).check(z.trim(), z.toLowerCase()),
  z.pipe(
    z.string().check(z.maxLength(MAX_EMAIL_LENGTH, 'email is too long')),
    z.email({ error: 'email is not a valid email address' }),
  ),
)

/** The normalised address, or an ApiError (400, `email`) saying why it is not one. */
export function parseEmail(input: string): string {
  const parsed = emailSchema.safeParse(input)
  if (!parsed.success) throw validationError(parsed.error, { path: () => 'email' })
  return parsed.data
}
