// The one-time message of Post/Redirect/Get: a form post does its work, then answers 303 with a
// short-lived cookie saying what happened ("Merged b@x into a@x"), and the page it redirects to
// shows the message once. A new key or token rides along the same way, so the page that reveals it
// is a GET that a reload does not repeat (and that shows the key no more). The cookie names the
// path it is for; src/middleware/flash signs it, reads it there and clears it once the page is
// shown. A refused form ends the same way: the page it redirects to shows why at that form, with
// what was typed in it again, so Back and reload never offer to send the form a second time.
import { createContext } from 'preact'
import { decodeBase64Url, encodeBase64Url } from 'hono/utils/encode'

export interface Flash {
  /** What happened, in words. */
  message: string
  /** 'danger' after something was removed for good; 'success' otherwise. */
  tone?: 'success' | 'danger'
  /** A key or token shown this once; the page that asked for it decides how. */
  secret?: string
  /** A form action (POST) that undoes what happened: the message carries an Undo button. */
  undo?: string
  /** Set when the post changed nothing: `message` says why, and the page shows it at that form. */
  refused?: Refusal
}

/** A form the server refused, for the page that shows it again. Never carries a password. */
export interface Refusal {
  /** Which of the page's forms ('merge', 'delete'). */
  form: string
  /** The field the message is about, when there is one. */
  field?: string
  /** What was typed, by field name, to fill the form in again. */
  draft?: Record<string, string>
  /** The refusal's error code, for a page that shows one kind differently ('conflict': a name
   *  already taken, which asks once more rather than only saying why). */
  code?: string
}

export const FLASH_COOKIE = 'tcrm_flash'
/** Long enough for the browser to follow the redirect, short enough not to linger. */
export const FLASH_SECONDS = 60

const MAX_TEXT = 600
/** A cookie holds about 4 KB, signature and attributes included. */
const MAX_DRAFT = 1500
const NAME = /^[a-z][a-zA-Z0-9_-]{0,39}$/
/** The only action a flash's Undo button may post to (src/merges/routes.tsx). */
const UNDO_ACTION = /^\/merges\/[0-9]+\/undo$/

const draftLength = (entries: [string, string][]) =>
  entries.reduce((n, [k, v]) => n + k.length + v.length, 0)

/** The cookie's value. What decodeFlash would drop is not sent, so a refusal still says why: a
 *  message too long is cut, a draft too long left out (its form then shows as it was). */
export function encodeFlash(path: string, flash: Flash): string {
  let { message, refused } = flash
  if (message.length > MAX_TEXT) message = message.slice(0, MAX_TEXT - 1) + '…'
  if (refused?.draft && draftLength(Object.entries(refused.draft)) > MAX_DRAFT) {
    refused = { ...refused, draft: undefined }
  }
  const value = JSON.stringify({ path, ...flash, message, refused })
  return encodeBase64Url(new TextEncoder().encode(value).buffer)
}

/** The flash and the path it is for, or undefined for anything that is not one of ours. */
export function decodeFlash(value: string): { path: string; flash: Flash } | undefined {
  try {
    const data = JSON.parse(new TextDecoder().decode(decodeBase64Url(value))) as unknown
    if (typeof data !== 'object' || data === null) return undefined
    const { path, message, tone, secret, undo, refused } = data as Record<string, unknown>
    if (typeof path !== 'string' || !path.startsWith('/')) return undefined
    if (typeof message !== 'string' || message.length > MAX_TEXT) return undefined
    const flash: Flash = { message }
    if (tone === 'success' || tone === 'danger') flash.tone = tone
    if (typeof secret === 'string' && secret.length <= 200) flash.secret = secret
    // The Undo button posts this page's CSRF token: only the one action that ever sets it, should
    // a cookie ever get past the signature check (src/middleware/flash).
    if (typeof undo === 'string' && UNDO_ACTION.test(undo)) flash.undo = undo
    const refusal = decodeRefusal(refused)
    if (refusal) flash.refused = refusal
    return { path, flash }
  } catch {
    return undefined
  }
}

function decodeRefusal(value: unknown): Refusal | undefined {
  if (typeof value !== 'object' || value === null) return undefined
  const { form, field, draft, code } = value as Record<string, unknown>
  if (typeof form !== 'string' || !NAME.test(form)) return undefined
  const refusal: Refusal = { form }
  if (typeof field === 'string' && NAME.test(field)) refusal.field = field
  if (typeof code === 'string' && NAME.test(code)) refusal.code = code
  if (typeof draft === 'object' && draft !== null) {
    const entries = Object.entries(draft).filter(
      (e): e is [string, string] => NAME.test(e[0]) && typeof e[1] === 'string',
    )
    if (draftLength(entries) <= MAX_DRAFT) {
      refusal.draft = Object.fromEntries(entries)
    }
  }
  return refusal
}

/** A refused form as its page shows it again. */
export interface ShownRefusal {
  /** Which form (`Refusal.form`). */
  form: string
  /** Why, in words. */
  message: string
  field?: string
  code?: string
  draft: Record<string, string>
}

/** The refusal the redirect that led here carries, whichever form it is about: for a page with
 *  a form per item (a billing connection's, a saved view's), each of which checks `form`. */
export function refusalIn(flash: Flash | undefined): ShownRefusal | undefined {
  if (!flash?.refused) return undefined
  const { form, field, code, draft } = flash.refused
  return { form, message: flash.message, field, code, draft: draft ?? {} }
}

/** The refusal of `form` when the redirect that led here carries one: its message, the field it is
 *  about and what was typed. */
export function refusalOf(flash: Flash | undefined, form: string): ShownRefusal | undefined {
  const refusal = refusalIn(flash)
  return refusal?.form === form ? refusal : undefined
}

/** What every rendered page may show besides its own content: the flash of this request, and the
 *  version that asset URLs carry (so browsers may keep them for good). Given by renderPage. */
export interface PageContextValue {
  flash?: Flash
  assetVersion?: string
}

export const PageContext = createContext<PageContextValue>({})
