// The CLI's dispatcher: parses argv (node:util parseArgs), prints help, opens the configured
// database, runs one command, always closes the database (releasing the data directory's lock) and
// maps what went wrong to an exit code: 0 done, 1 failed (one clear line on stderr), 2 usage.
import { parseArgs } from 'node:util'
import { isDatabaseUnavailable } from '../db/errors.js'
import { ApiError } from '../lib/errors.js'
import { DataDirLockedError } from '../db/lock.js'
import { accountCreate, accountList, accountResetPassword } from './account.js'
import { exportCommand, importCommand } from './backup.js'
import {
  CliError,
  UsageError,
  type CliIo,
  type Command,
  type OptionsConfig,
  type Values,
} from './command.js'
import { openTarget, resolveTarget } from './database.js'
import { keyCreate, keyList, keyRevoke, keyRotate } from './key.js'
import { projectCreate, projectList } from './project.js'
import { tokenCreate, tokenList, tokenRevoke } from './token.js'

export const COMMANDS: Command[] = [
  accountCreate,
  accountList,
  accountResetPassword,
  projectCreate,
  projectList,
  keyCreate,
  keyRotate,
  keyList,
  keyRevoke,
  tokenCreate,
  tokenList,
  tokenRevoke,
  exportCommand,
  importCommand,
]

const GLOBAL_OPTIONS: OptionsConfig = {
  'data-dir': { type: 'string' },
  'database-url': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
}

const GLOBAL_HELP =
  'Database (default: the same as `npm start`):\n' +
  '  --data-dir DIR       PGlite data directory (env TINYCRM_DATA_DIR, default .tinycrm-data)\n' +
  '  --database-url URL   a Postgres server instead (env DATABASE_URL)\n' +
  'A PGlite data directory serves one process at a time: stop the server before using the CLI on\n' +
  'it (a Postgres database has no such limit).\n'

const PROG = 'npm run tinycrm --'

function toolUsage(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length))
  return (
    `Usage: ${PROG} <command> [options]\n\n` +
    'Manage TinyCRM accounts, projects, API keys and account tokens without the dashboard;\n' +
    'export and import the whole database.\n\n' +
    'Commands:\n' +
    COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}\n`).join('') +
    `\n${GLOBAL_HELP}\n` +
    `Run \`${PROG} <command> --help\` for a command's options. Exit codes: 0 ok, 1 failed, 2 usage.\n`
  )
}

function commandUsage(c: Command): string {
  return `Usage: ${PROG} ${c.name} ${c.usage}\n\n${c.summary}.\n\n${c.help}\n\n${GLOBAL_HELP}`
}

const subcommands = (group: string) =>
  COMMANDS.filter((c) => c.name.startsWith(`${group} `))
    .map((c) => c.name.split(' ')[1])
    .join(', ')

function groupUsage(group: string): string {
  const list = COMMANDS.filter((c) => c.name.startsWith(`${group} `))
  return (
    `Usage: ${PROG} ${group} <${list.map((c) => c.name.split(' ')[1]).join('|')}> [options]\n\n` +
    list.map((c) => `  ${c.name}  ${c.usage}\n      ${c.summary}\n`).join('')
  )
}

/** Every option of every command, so a first pass can find the command words wherever flags are. */
const ALL_OPTIONS: OptionsConfig = Object.assign(
  {},
  GLOBAL_OPTIONS,
  ...COMMANDS.map((c) => c.options),
)

export interface CliDeps {
  /** Opens the target database; tests hand in one already-open PGlite. */
  openDatabase?: typeof openTarget
}

export async function runCli(argv: string[], io: CliIo, deps: CliDeps = {}): Promise<number> {
  let command: Command | undefined
  try {
    const first = parseArgs({
      args: argv,
      options: ALL_OPTIONS,
      allowPositionals: true,
      strict: false,
    })
    const words = first.positionals
    if (words[0] === 'help') {
      words.shift()
      first.values.help = true
    }
    const groups = new Set(
      COMMANDS.filter((c) => c.name.includes(' ')).map((c) => c.name.split(' ')[0]),
    )
    if (words.length === 0) {
      if (first.values.help) return print(io, toolUsage())
      throw new UsageError('No command given')
    }
    // A one-word command (`export`), or a group and its action (`project create`).
    command = COMMANDS.find((c) => c.name === words[0])
    if (!command) {
      if (!groups.has(words[0]!)) throw new UsageError(`Unknown command '${words[0]}'`)
      if (words.length === 1) {
        if (first.values.help) return print(io, groupUsage(words[0]!))
        throw new UsageError(`'${words[0]}' needs a subcommand: ${subcommands(words[0]!)}`)
      }
      command = COMMANDS.find((c) => c.name === `${words[0]} ${words[1]}`)
    }
    if (!command) {
      throw new UsageError(
        `Unknown command '${words[0]} ${words[1]}'; '${words[0]}' has: ${subcommands(words[0]!)}`,
      )
    }
    if (first.values.help) return print(io, commandUsage(command))

    const { values, positionals } = parseCommandArgs(command, argv)
    const wordCount = command.name.split(' ').length
    if (positionals.length > wordCount)
      throw new UsageError(`Unexpected argument '${positionals[wordCount]}'`, command)
    const missing = (command.required ?? []).filter((name) => values[name] === undefined)
    if (missing.length > 0) {
      throw new UsageError(`Missing ${missing.map((m) => `--${m}`).join(', ')}`, command)
    }

    const target = resolveTarget(values, io.env)
    await command.prepare?.(values, io)
    const database = await (deps.openDatabase ?? openTarget)(target, {
      mayCreate: command.createsDatabase === true,
      notice: io.stderr,
    })
    try {
      await command.run({ db: database.db, values, io })
    } finally {
      await database.close()
    }
    return 0
  } catch (err) {
    return report(err, io, command)
  }
}

function print(io: CliIo, text: string): number {
  io.stdout(text)
  return 0
}

function parseCommandArgs(command: Command, argv: string[]) {
  try {
    const { values, positionals } = parseArgs({
      args: argv,
      options: { ...GLOBAL_OPTIONS, ...command.options },
      allowPositionals: true,
      strict: true,
    })
    return { values: values as Values, positionals }
  } catch (err) {
    // parseArgs' messages name the option ("Unknown option '--nme'", "Option '--name <value>'
    // argument missing"); its error codes start with ERR_PARSE_ARGS_.
    const code = (err as { code?: string }).code ?? ''
    if (code.startsWith('ERR_PARSE_ARGS_')) {
      const message = (err as Error).message.replace(/\. To specify a positional argument.*$/s, '')
      throw new UsageError(message, command)
    }
    throw err
  }
}

function report(err: unknown, io: CliIo, command: Command | undefined): number {
  if (err instanceof UsageError) {
    const c = err.command ?? command
    const usage = c
      ? `Usage: ${PROG} ${c.name} ${c.usage}\nMore: ${PROG} ${c.name} --help\n`
      : `Usage: ${PROG} <command> [options]\nCommands: ${COMMANDS.map((c) => c.name).join(', ')}\n` +
        `More: ${PROG} --help\n`
    io.stderr(`tinycrm: ${err.message}\n${usage}`)
    return 2
  }
  if (err instanceof DataDirLockedError) {
    io.stderr(`tinycrm: ${err.message}\n`)
    return 1
  }
  if (err instanceof ApiError || err instanceof CliError) {
    io.stderr(`tinycrm: ${err.message}\n`)
    return 1
  }
  if (isDatabaseUnavailable(err)) {
    io.stderr(`tinycrm: cannot reach the database: ${(err as Error).message}\n`)
    return 1
  }
  // A bug, not a user mistake: the stack helps whoever reports it.
  const detail = err instanceof Error ? (err.stack ?? err.message) : String(err)
  io.stderr(`tinycrm: unexpected error: ${detail}\n`)
  return 1
}
