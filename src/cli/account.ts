// `account create`, `account list` and `account reset-password`: the owner's workspace and its
// logins, without the dashboard (and without email: a forgotten password is reset here).
import {
  MIN_PASSWORD_LENGTH,
  checkPassword,
  createAccount,
  normaliseEmail,
  resetPassword,
} from '../accounts/store.js'
import { parseEmail } from '../lib/email.js'
import { CliError, formatDate, formatTable, str, toJson, type Command } from './command.js'
import { listAccounts } from './lookup.js'
import { PASSWORD_SOURCES, readPassword } from './password.js'

export const accountCreate: Command = {
  name: 'account create',
  summary: 'Create an account and its first user (the dashboard login)',
  usage: '--email EMAIL [--password -|VALUE] [--name NAME]',
  help:
    `The password comes from ${PASSWORD_SOURCES}; at least 8 characters.\n` +
    'The account name defaults to the email. On a fresh data directory this also creates the\n' +
    'database.\n\n' +
    'Example:\n' +
    '  printf \'%s\\n\' "$PW" | npm run tinycrm -- account create --email me@example.com --password -',
  options: {
    email: { type: 'string' },
    password: { type: 'string' },
    name: { type: 'string' },
  },
  required: ['email'],
  createsDatabase: true,
  async prepare(values, io) {
    // Checked, and the password asked for (or read from stdin), before a new database takes
    // seconds to create.
    parseEmail(str(values, 'email')!)
    values.password = await readPassword(values, io, 'account create')
    checkPassword(values.password)
  },
  async run({ db, values, io }) {
    const email = str(values, 'email')!
    const password = str(values, 'password')!
    const { accountId } = await createAccount(db, { email, password, name: str(values, 'name') })
    io.stdout(
      `Created account ${accountId} for ${normaliseEmail(email)}.\n` +
        `Next: npm run tinycrm -- project create --account ${normaliseEmail(email)} --name "My App"\n`,
    )
  },
}

export const accountList: Command = {
  name: 'account list',
  summary: 'List accounts: id, users, name, number of projects',
  usage: '[--json]',
  help: '--json prints an array of { id, name, emails, projects, createdAt } for scripts.',
  options: { json: { type: 'boolean' } },
  async run({ db, values, io }) {
    const rows = await listAccounts(db)
    if (values.json) {
      io.stdout(
        toJson(
          rows.map((r) => ({
            id: r.id,
            name: r.name,
            emails: r.emails ? r.emails.split(', ') : [],
            projects: r.projects ?? 0,
            createdAt: new Date(r.created_at).toISOString(),
          })),
        ),
      )
      return
    }
    if (rows.length === 0) {
      io.stdout('No accounts yet. Create one: npm run tinycrm -- account create --email EMAIL\n')
      return
    }
    io.stdout(
      formatTable(
        ['ID', 'EMAIL', 'PROJECTS', 'CREATED (UTC)', 'NAME'],
        rows.map((r) => [
          String(r.id),
          r.emails ?? '-',
          String(r.projects ?? 0),
          formatDate(r.created_at),
          r.name,
        ]),
      ),
    )
  },
}

export const accountResetPassword: Command = {
  name: 'account reset-password',
  summary: "Set a user's password and end their sessions (there is no reset email)",
  usage: '--email EMAIL [--password -|VALUE]',
  help:
    `The new password comes from ${PASSWORD_SOURCES}; at least ${MIN_PASSWORD_LENGTH} characters.\n` +
    'Every dashboard session of that user ends at once and their failed-login count is cleared;\n' +
    'the account, its projects, keys and tokens are untouched.\n\n' +
    'Example:\n' +
    '  printf \'%s\\n\' "$PW" | npm run -s tinycrm -- account reset-password --email me@example.com --password -',
  options: { email: { type: 'string' }, password: { type: 'string' } },
  required: ['email'],
  async prepare(values, io) {
    parseEmail(str(values, 'email')!)
    values.password = await readPassword(values, io, 'account reset-password')
    checkPassword(values.password)
  },
  async run({ db, values, io }) {
    const email = normaliseEmail(str(values, 'email')!)
    const done = await resetPassword(db, email, str(values, 'password')!)
    if (!done) throw new CliError(`No user with the email ${email} (see: account list)`)
    io.stdout(
      `Password of ${email} reset; ${done.sessionsEnded} session(s) ended. Log in with the new one.\n`,
    )
  },
}
