// Text Postgres cannot store as it was sent: a NUL character (text refuses it: the statement
// fails) and half of a UTF-16 surrogate pair (a JS string cut inside an emoji: valid JSON,
// `"\ud83d"`, but the driver writes it as U+FFFD, so what is stored is not what was sent). Every
// field a request names is checked with this rule first, so the 400 says which field and why.
import { ApiError } from './errors.js'

/** Half of a surrogate pair: a high one with no low one after it, or a low one with no high one
 *  before it. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/
export const hasLoneSurrogate = (s: string) => LONE_SURROGATE.test(s)
export const LONE_SURROGATE_PROBLEM =
  'contains half of a UTF-16 surrogate pair (a character such as an emoji cut in two)'
export const NUL_PROBLEM = 'contains a NUL character (\\u0000)'

/** Why `s` cannot be stored as sent ("contains a NUL character …"), or undefined. */
export function textProblem(s: string): string | undefined {
  if (s.includes('\u0000')) return NUL_PROBLEM
  return hasLoneSurrogate(s) ? LONE_SURROGATE_PROBLEM : undefined
}

/** `text` as given, when Postgres can store it; else the 400 every form and API answers, naming
 *  `field`: "name contains a NUL character (\u0000)". */
export function storableText(field: string, text: string): string {
  const problem = textProblem(text)
  if (!problem) return text
  throw new ApiError('validation_failed', `${field} ${problem}`, [
    { path: field, message: problem },
  ])
}
