// The one rule for an email address, wherever one comes in (ingest, CSV import, billing events,
// sign-up, log-in, the CLI): trimmed, lower-cased, in Unicode's composed form (NFC: "é" typed two
// ways is one customer), a plain address and at most 254 characters (RFC 5321's limit for a path,
// and well under what a Postgres index row can hold).
//
// "Plain" is zod's default email pattern (no quotes, angle brackets, spaces or empty dot-parts, a
// domain with a dot and a 2+ letter top level) with the rest of RFC 5322's unquoted characters in
// the local part (`%`, `&`, `=`, `/` …: `billing&ops@…`, `a%b@…` are addresses mail servers take,
// and a billing provider sends them) and letters and digits of any script where it has ASCII ones: international addresses (RFC 6531, josé@example.com, 用户@例子.广告) are
// customers too. A domain in its ASCII form (punycode, `xn--…`, as some systems store one) is read
// in its Unicode form: `user@xn--bcher-kva.de` is the customer `user@bücher.de`.
import { domainToUnicode } from 'node:url'
import * as z from 'zod/mini'
import { validationError } from './validation.js'

export const MAX_EMAIL_LENGTH = 254

const PLAIN_EMAIL =
  /^(?:[\p{L}\p{M}\p{N}!#$%&'*+/=?^_`{|}~-]+\.)*[\p{L}\p{M}\p{N}!#$%&'*+/=?^_`{|}~-]*[\p{L}\p{M}\p{N}!#$%&*+/=?^_`{|}~-]@(?:[\p{L}\p{N}][\p{L}\p{M}\p{N}-]*\.)+\p{L}[\p{L}\p{M}]+$/u

/** The address with a punycode domain in Unicode (URL's own reading, as a browser shows the
 *  domain); unchanged when it has none or it does not decode. */
function unicodeDomain(email: string): string {
  const at = email.lastIndexOf('@')
  const domain = email.slice(at + 1)
  if (at < 0 || !/(^|\.)xn--/.test(domain)) return email
  const unicode = domainToUnicode(domain)
  return unicode ? `${email.slice(0, at + 1)}${unicode.normalize('NFC')}` : email
}

export const emailSchema = z.pipe(
  z
    .string({ error: 'email is required and must be a string' })
    .check(z.trim(), z.toLowerCase(), z.normalize('NFC'), z.overwrite(unicodeDomain)),
  z.pipe(
    z
      .string()
      .check(
        z.maxLength(MAX_EMAIL_LENGTH, `email is too long (at most ${MAX_EMAIL_LENGTH} characters)`),
      ),
    z.email({ pattern: PLAIN_EMAIL, error: 'email is not a valid email address' }),
  ),
)

/** The normalised address, or an ApiError (400, `email`) saying why it is not one. */
export function parseEmail(input: string): string {
  const parsed = emailSchema.safeParse(input)
  if (!parsed.success) throw validationError(parsed.error, { path: () => 'email' })
  return parsed.data
}
