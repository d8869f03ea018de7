// An uploaded file as text: refusals of the file itself (the upload form's `file` field) and the
// UTF-8 decoding of its bytes, which names the line of the first byte that is not UTF-8.
import { ApiError } from '../lib/errors.js'

/** A refusal of the uploaded file itself: the `file` field of the upload form. */
export function badFile(message: string) {
  return new ApiError('validation_failed', message, [{ path: 'file', message }])
}

const countLineEnds = (text: string) => text.split('\n').length - 1

/** Decodes a file's bytes as they stream in. Fatal: a byte that is not UTF-8 (a spreadsheet's
 *  Windows-1252 é) is refused, naming its line, rather than stored as a replacement character. */
export class Utf8Text {
  #decoder = new TextDecoder('utf-8', { fatal: true })
  #lineEnds = 0

  /** The text of the next bytes (`done`: the end of the file). */
  decode(bytes: Uint8Array | undefined, done: boolean): string {
    let text: string
    try {
      text = done ? this.#decoder.decode() : this.#decoder.decode(bytes, { stream: true })
    } catch {
      // The line: line ends before these bytes, and in them up to the first replacement
      // character of a lenient reading.
      const lenient = bytes ? new TextDecoder().decode(bytes) : ''
      const bad = lenient.indexOf('\uFFFD')
      const line = this.#lineEnds + 1 + countLineEnds(bad < 0 ? lenient : lenient.slice(0, bad))
      throw badFile(
        `Line ${line} is not UTF-8 text (a spreadsheet's plain "CSV" is often Windows-1252): ` +
          'save the file as CSV UTF-8 and upload it again',
      )
    }
    this.#lineEnds += countLineEnds(text)
    return text
  }
}
