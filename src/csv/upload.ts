// Receiving a CSV file for import: it is parsed as it streams in (csv-parse: quoted fields, commas
// and newlines inside quotes, a UTF-8 BOM, CRLF; `;` or tab separators detected from the header
// line) and stored as chunks of rows, so neither the upload nor any later step holds the whole file.
import { sql, type Kysely } from 'kysely'
// The Node build: on Workers, nodejs_compat (wrangler.toml) supplies node:stream and Buffer, where
// the browser build bundles its own copies (~18 KiB of the gzipped Worker).
import { CsvError, parse, type Options } from 'csv-parse'
import type { Database } from '../db/schema.js'
import { ApiError } from '../lib/errors.js'
import { storableText } from '../lib/text.js'
import { badFile, Utf8Text } from './file-text.js'

/** Rows per stored chunk: one chunk is one dry-run or import step (one ingest statement). */
export const CHUNK_ROWS = 1000
export const MAX_COLUMNS = 200
/** The largest upload accepted (Workers accept 100 MB request bodies; 100,000 rows are ~6 MB). */
export const MAX_UPLOAD_BYTES = 50 * 1024 * 1024

/** Passes `body` through, pulling one chunk only when the reader asks (so back-pressure reaches
 *  the sender), and fails with payload_too_large as soon as more than `max` bytes have passed:
 *  a body without Content-Length (or a lying one) is still cut off at the cap. */
export function limitBytes(body: ReadableStream<Uint8Array>, max = MAX_UPLOAD_BYTES) {
  const reader = body.getReader()
  let seen = 0
  return new ReadableStream<Uint8Array>(
    {
      async pull(c) {
        const next = await reader.read()
        if (next.done) return c.close()
        seen += next.value.byteLength
        if (seen > max) {
          await reader.cancel().catch(() => undefined)
          const mb = Math.round(max / 1024 / 1024)
          return c.error(new ApiError('payload_too_large', `The file is larger than ${mb} MB`))
        }
        c.enqueue(next.value)
      },
      cancel: (reason) => reader.cancel(reason),
    },
    { highWaterMark: 0 },
  )
}

/** An upload's sign of life: every this many bytes that arrive, its import's `progress_at` moves
 *  (./retention.ts tells an interrupted upload from a slow one by it). One statement per MiB. */
const PROGRESS_BYTES = 1024 * 1024

/** Passes `body` through, calling `onProgress` each time another `every` bytes have passed. */
function reportProgress(
  body: ReadableStream<Uint8Array>,
  onProgress: () => Promise<void>,
  every = PROGRESS_BYTES,
) {
  const reader = body.getReader()
  let sinceLast = 0
  return new ReadableStream<Uint8Array>(
    {
      async pull(c) {
        const next = await reader.read()
        if (next.done) return c.close()
        sinceLast += next.value.byteLength
        if (sinceLast >= every) {
          sinceLast = 0
          await onProgress()
        }
        c.enqueue(next.value)
      },
      cancel: (reason) => reader.cancel(reason),
    },
    { highWaterMark: 0 },
  )
}

/** The separator of a header line: the one of `,` `;` tab that occurs most outside quotes. */
export function detectDelimiter(headerLine: string): string {
  const counts = new Map([
    [',', 0],
    [';', 0],
    ['\t', 0],
  ])
  let quoted = false
  for (const ch of headerLine) {
    if (ch === '"') quoted = !quoted
    else if (!quoted && counts.has(ch)) counts.set(ch, counts.get(ch)! + 1)
  }
  let best = ','
  for (const d of [';', '\t']) if (counts.get(d)! > counts.get(best)!) best = d
  return best
}

/** Reads bytes until the first line end outside quotes, returning that line (decoded) and a stream
 *  of every byte, the header included. Quote, comma and line-end bytes are ASCII, so scanning UTF-8
 *  bytes for them is safe. */
async function peekHeader(body: ReadableStream<Uint8Array>) {
  const reader = body.getReader()
  const seen: Uint8Array[] = []
  let size = 0
  let quoted = false
  let end = -1
  let done = false
  while (end < 0 && !done && size < 1_000_000) {
    const next = await reader.read()
    done = next.done
    if (!next.value) continue
    for (let i = 0; i < next.value.length && end < 0; i++) {
      const b = next.value[i]
      if (b === 0x22) quoted = !quoted
      else if (!quoted && (b === 0x0a || b === 0x0d)) end = size + i
    }
    seen.push(next.value)
    size += next.value.length
  }
  const all = new Uint8Array(size)
  let at = 0
  for (const part of seen) {
    all.set(part, at)
    at += part.length
  }
  // Excel's "Unicode Text" and some exports are UTF-16, with its byte-order mark; read as UTF-8,
  // every character would carry a NUL.
  if ((all[0] === 0xff && all[1] === 0xfe) || (all[0] === 0xfe && all[1] === 0xff)) {
    await reader.cancel().catch(() => undefined)
    throw badFile(
      'The file is UTF-16 (Excel\'s "Unicode Text"): save it as CSV UTF-8 and upload it again',
    )
  }
  const header = new TextDecoder()
    .decode(end >= 0 ? all.subarray(0, end) : all)
    .replace(/^\uFEFF/, '')
  const rest = new ReadableStream<Uint8Array>({
    start(c) {
      if (size) c.enqueue(all)
      if (done) c.close()
    },
    async pull(c) {
      const next = await reader.read()
      if (next.done) c.close()
      else c.enqueue(next.value)
    },
    cancel: (reason) => reader.cancel(reason),
  })
  return { header, rest }
}

export interface ParsedChunk {
  seq: number
  /** The file line the chunk's first row starts on (1 is the header). */
  firstLine: number
  rows: string[][]
  /** The file line of each row (a quoted newline makes a row span lines). */
  lines: number[]
}

type Parsed = { record: string[]; info: { lines: number } }

/** The parser's records as an async iterable, fed from the byte stream as it is read: the parser
 *  emits synchronously on write, so at most one network chunk's records wait here at a time. */
async function* parsedRecords(body: ReadableStream<Uint8Array>, options: Options) {
  const parser = parse(options)
  const ready: Parsed[] = []
  let failure: unknown
  parser.on('data', (r: Parsed) => ready.push(r))
  parser.on('error', (err: unknown) => (failure ??= err))
  const ended = new Promise<void>((resolve) => parser.on('end', resolve))
  const decoder = new Utf8Text()
  const reader = body.getReader()
  let wrote = false
  for (;;) {
    const { value, done } = await reader.read()
    let text: string
    try {
      text = decoder.decode(value, done)
    } catch (err) {
      await reader.cancel().catch(() => undefined)
      throw err
    }
    if (text) {
      parser.write(text)
      wrote = true
    }
    // Ending the browser build's parser with no input at all throws a TypeError: nothing to parse.
    if (done && !wrote) return
    if (done) {
      parser.end()
      if (!failure) await Promise.race([ended, new Promise((r) => parser.on('error', r))])
    }
    if (failure) {
      await reader.cancel().catch(() => undefined)
      throw failure
    }
    yield* ready.splice(0)
    if (done) return
  }
}

/** The file line each record starts on, from the parser's count at its end (`info.lines`). The
 *  parser counts a CR and an LF each as a line break, so a CRLF inside a quoted cell as two, and
 *  names a record by the line it ends on; a spreadsheet's row with a multi-line cell starts lines
 *  earlier. Called once per record, in order (the header included). */
function rowStartLines() {
  let doubled = 0
  return (record: string[], endLine: number) => {
    let breaks = 0
    for (const cell of record) {
      for (const br of cell.matchAll(/\r\n|\r|\n/g)) {
        breaks++
        if (br[0].length === 2) doubled++
      }
    }
    return endLine - doubled - breaks
  }
}

/** Parses CSV bytes, calling `onHeader` once and `onChunk` for every CHUNK_ROWS rows, in order,
 *  awaiting each so back-pressure reaches the upload. */
export async function parseCsv(
  body: ReadableStream<Uint8Array>,
  onHeader: (header: string[], delimiter: string) => Promise<void>,
  onChunk: (chunk: ParsedChunk) => Promise<void>,
): Promise<{ rows: number; chunks: number }> {
  const { header, rest } = await peekHeader(body)
  // Excel's own first line, `sep=;`, names the delimiter; the header row follows it.
  const sep = /^sep=(.)$/i.exec(header)
  const delimiter = sep ? sep[1]! : detectDelimiter(header)
  const records = parsedRecords(rest, {
    delimiter,
    ...(sep ? { from_line: 2 } : {}),
    bom: true,
    info: true,
    relax_column_count: true,
    // A quote inside an unquoted cell (`Jo "JJ" Smith`, `{"a":1}` in a tab-separated file) is
    // part of the text, as spreadsheets read it; a quoted cell is still parsed strictly.
    relax_quotes: true,
    skip_empty_lines: true,
    max_record_size: 1_000_000,
  })
  let seen = false
  let seq = 0
  let rows: string[][] = []
  let lines: number[] = []
  let total = 0
  const lineOf = rowStartLines()
  const flush = async () => {
    if (!rows.length) return
    await onChunk({ seq, firstLine: lines[0]!, rows, lines })
    seq++
    rows = []
    lines = []
  }
  try {
    for await (const { record, info } of records) {
      const line = lineOf(record, info.lines)
      // Postgres cannot store a NUL character in text: say where it is rather than fail on it.
      if (record.some((cell) => cell.includes('\u0000'))) {
        throw badFile(
          `Line ${line} contains a NUL character: the file is damaged or not a text CSV ` +
            '(save it as CSV UTF-8 and upload it again)',
        )
      }
      if (!seen) {
        seen = true
        const names = record.map((h) => h.trim())
        if (names.length > MAX_COLUMNS) {
          throw new ApiError(
            'validation_failed',
            `The file has ${names.length} columns; at most ${MAX_COLUMNS}`,
          )
        }
        await onHeader(names, delimiter)
        continue
      }
      if (record.every((cell) => cell.trim() === '')) continue
      rows.push(record)
      lines.push(line)
      total++
      if (rows.length >= CHUNK_ROWS) await flush()
    }
  } catch (err) {
    if (err instanceof ApiError) throw err
    // Every error of the parser is the file's (its codes do not all start with CSV_).
    if (err instanceof CsvError) {
      throw new ApiError('validation_failed', `The file is not valid CSV: ${err.message}`)
    }
    throw err
  }
  if (!seen) throw new ApiError('validation_failed', 'The file is empty: it needs a header row')
  await flush()
  return { rows: total, chunks: seq }
}

/** Stores an uploaded file as a new import of `projectId` (already checked to be the account's). */
export async function createImport(
  db: Kysely<Database>,
  input: {
    accountId: number
    projectId: number
    filename: string
    body: ReadableStream<Uint8Array>
  },
): Promise<{ importId: number; rows: number }> {
  // Refused before a byte of the file is read: the name is stored with the import's first row.
  storableText('name', input.filename)
  let importId: number | undefined
  // Before the header is read there is no import to move yet; its insert is its first progress.
  const progressed = async () => {
    if (importId === undefined) return
    await db
      .updateTable('imports')
      .set({ progress_at: sql`now()` })
      .where('id', '=', importId)
      .execute()
  }
  try {
    const { rows, chunks } = await parseCsv(
      reportProgress(limitBytes(input.body), progressed),
      async (header) => {
        const row = await db
          .insertInto('imports')
          .values({
            account_id: input.accountId,
            project_id: input.projectId,
            filename: input.filename.slice(0, 200) || 'upload.csv',
            header: JSON.stringify(header),
            // Not mapped nor run until its last row is stored.
            state: 'uploading',
          })
          .returning('id')
          .executeTakeFirstOrThrow()
        importId = row.id
      },
      async (chunk) => {
        const lines = chunk.lines
        await db
          .insertInto('import_chunks')
          .values({
            import_id: importId!,
            seq: chunk.seq,
            first_line: chunk.firstLine,
            // Each row carries its file line as a first cell, for the per-row report.
            rows: JSON.stringify(chunk.rows.map((r, i) => [String(lines[i]), ...r])),
          })
          .execute()
      },
    )
    if (rows === 0)
      throw new ApiError('validation_failed', 'The file has a header row but no data rows')
    const uploaded = await db
      .updateTable('imports')
      .set({ total_rows: rows, chunks, state: 'uploaded', progress_at: sql`now()` })
      .where('id', '=', importId!)
      .where('state', '=', 'uploading')
      .returning('id')
      .executeTakeFirst()
    if (!uploaded) throw new ApiError('not_found', REMOVED)
    return { importId: importId!, rows }
  } catch (err) {
    if (importId !== undefined) await db.deleteFrom('imports').where('id', '=', importId).execute()
    // The project was deleted while the file was arriving (its imports go with it), or the upload
    // was removed as interrupted after a long silence (./retention.ts): the import or a chunk of
    // it has nothing left to belong to.
    if ((err as { code?: unknown } | null)?.code === FOREIGN_KEY_VIOLATION) {
      throw new ApiError('not_found', REMOVED)
    }
    throw err
  }
}

const FOREIGN_KEY_VIOLATION = '23503'
const REMOVED =
  'This import was removed while uploading (its project deleted, or the upload stalled for ' +
  'long). Upload the file again.'
