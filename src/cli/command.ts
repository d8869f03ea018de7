// What every CLI command is made of: its options (node:util parseArgs config), its help text and a
// `run` that gets an open database and the process's streams. Commands never exit the process
// themselves; they throw (UsageError, ApiError) and src/cli/run.ts turns that into an exit code.
import type { ParseArgsConfig } from 'node:util'
import type { Kysely } from 'kysely'
import type { Database } from '../db/schema.js'

export type OptionsConfig = NonNullable<ParseArgsConfig['options']>
export type Values = Record<string, string | boolean | undefined>

/** Where a command writes and reads: the real process in main.ts, buffers in tests. */
export interface CliIo {
  stdout: (text: string) => void
  stderr: (text: string) => void
  env: NodeJS.ProcessEnv
  /** All of stdin as text (for `--password -` from a pipe). */
  readStdin: () => Promise<string>
  /** Asks for a password without echoing it; only when stdin is a terminal. */
  promptPassword?: () => Promise<string>
}

export interface CommandContext {
  db: Kysely<Database>
  values: Values
  io: CliIo
}

export interface Command {
  /** `group action`, e.g. `project create`. */
  name: string
  summary: string
  /** The option part of the usage line, e.g. `--account EMAIL --name NAME [--color HEX]`. */
  usage: string
  /** Paragraphs shown by `--help` under the usage line. */
  help: string
  options: OptionsConfig
  /** Required options: missing ones are a usage error (exit 2) before the database is opened. */
  required?: string[]
  /** Runs before the database is opened (which can take seconds): read and check inputs. */
  prepare?(values: Values, io: CliIo): Promise<void>
  /** May create a fresh database when the data directory has none yet. */
  createsDatabase?: boolean
  run(ctx: CommandContext): Promise<void>
}

/** A mistake in how the tool was called: usage goes to stderr and the exit code is 2. */
export class UsageError extends Error {
  override name = 'UsageError' as const
  constructor(
    message: string,
    readonly command?: Command,
  ) {
    super(message)
  }
}

/** A failure the user can act on (no such project, no key matched): one line on stderr, exit 1. */
export class CliError extends Error {
  override name = 'CliError' as const
}

export const str = (values: Values, name: string): string | undefined => {
  const v = values[name]
  return typeof v === 'string' ? v : undefined
}

/** Dates as people read them in a terminal; JSON output keeps full ISO strings. */
export function formatDate(d: Date | string | null | undefined): string {
  if (!d) return '-'
  return new Date(d).toISOString().slice(0, 16).replace('T', ' ')
}

/** A plain aligned table: a header row, then one row per item; the last column is not padded. */
export function formatTable(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)))
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd()
  return [line(header), ...rows.map(line)].join('\n') + '\n'
}

export function toJson(value: unknown): string {
  return JSON.stringify(value, null, 2) + '\n'
}
