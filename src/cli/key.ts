// `key create|rotate|list|revoke`: a project's API keys. Zero-downtime rotation is `key create`,
// deploy the new key, then `key revoke` the old prefix; `key rotate` is the emergency version
// (the new key works and every older one stops at once).
import { addProjectKey, listKeys, revokeKeysByPrefix } from '../projects/keys.js'
import type { Project } from '../db/schema.js'
import { CliError, formatDate, formatTable, str, toJson, type Command } from './command.js'
import { projectNames, requireAccount, requireProject } from './lookup.js'

const PROJECT_HELP =
  '--project takes the project id or its slug; a slug needs --account EMAIL when several\n' +
  'accounts have a project with that slug.'

const projectOptions = { project: { type: 'string' }, account: { type: 'string' } } as const
const label = (p: Project) => `${p.name} (id ${p.id}, slug ${p.slug})`

export const keyCreate: Command = {
  name: 'key create',
  summary: 'Add an API key to a project; older keys keep working',
  usage: '--project ID|SLUG [--account EMAIL]',
  help:
    'For zero-downtime rotation: create a key, deploy it, then `key revoke` the old one.\n' +
    'The new key is the last line of stdout.\n' +
    PROJECT_HELP,
  options: projectOptions,
  required: ['project'],
  async run({ db, values, io }) {
    const project = await requireProject(db, values)
    const key = (await addProjectKey(db, project.account_id, project.id, { revokeOthers: false }))!
    io.stdout(
      `Added a key to ${label(project)}; its older keys keep working until revoked.\n` +
        `New key, shown this once:\n${key}\n`,
    )
  },
}

export const keyRotate: Command = {
  name: 'key rotate',
  summary: 'Replace every key of a project with a new one (old keys stop at once)',
  usage: '--project ID|SLUG [--account EMAIL]',
  help:
    'Every active key of the project is revoked in the same statement that creates the new one:\n' +
    'requests with an old key get 403 from now on. The new key is the last line of stdout.\n' +
    PROJECT_HELP,
  options: projectOptions,
  required: ['project'],
  async run({ db, values, io }) {
    const project = await requireProject(db, values)
    const before = (await listKeys(db, project.id)).filter((k) => !k.revoked_at)
    const key = (await addProjectKey(db, project.account_id, project.id, { revokeOthers: true }))!
    const revoked = before.map((k) => `${k.prefix}…`).join(', ')
    io.stdout(
      `Rotated the key of ${label(project)}.\n` +
        (revoked ? `Revoked: ${revoked}\n` : 'It had no active key.\n') +
        `New key, shown this once:\n${key}\n`,
    )
  },
}

export const keyList: Command = {
  name: 'key list',
  summary: "List a project's keys (prefixes only) and whether they are revoked",
  usage: '--project ID|SLUG [--account EMAIL] [--json]',
  help:
    'Keys are stored hashed: only their first characters (the prefix) can be shown.\n' +
    '--json prints an array of { id, prefix, createdAt, revokedAt }.\n' +
    PROJECT_HELP,
  options: { ...projectOptions, json: { type: 'boolean' } },
  required: ['project'],
  async run({ db, values, io }) {
    const project = await requireProject(db, values)
    const keys = await listKeys(db, project.id)
    if (values.json) {
      const iso = (d: Date | null) => (d ? new Date(d).toISOString() : null)
      io.stdout(
        toJson(
          keys.map((k) => ({
            id: k.id,
            prefix: k.prefix,
            createdAt: iso(k.created_at),
            revokedAt: iso(k.revoked_at),
          })),
        ),
      )
      return
    }
    io.stdout(
      formatTable(
        ['PREFIX', 'CREATED (UTC)', 'STATUS'],
        keys.map((k) => [
          `${k.prefix}…`,
          formatDate(k.created_at),
          k.revoked_at ? `revoked ${formatDate(k.revoked_at)}` : 'active',
        ]),
      ),
    )
  },
}

export const keyRevoke: Command = {
  name: 'key revoke',
  summary: 'Revoke the active keys that start with a prefix',
  usage: '--key PREFIX [--account EMAIL]',
  help:
    'PREFIX is the part shown by `key list` (tcrm_proj_ and at least 4 more characters), or the\n' +
    'whole key. Requests with a revoked key get 403. Exits 1 when no active key matched.\n' +
    '--account limits the match to that account.',
  options: { key: { type: 'string' }, account: { type: 'string' } },
  required: ['key'],
  async run({ db, values, io }) {
    // Listings show the prefix followed by an ellipsis; accept it pasted back as it was shown.
    const prefix = str(values, 'key')!
      .trim()
      .replace(/(…|\.\.\.)$/, '')
    const email = str(values, 'account')
    const accountId = email === undefined ? undefined : await requireAccount(db, email)
    const revoked = await revokeKeysByPrefix(db, prefix, accountId)
    if (revoked.length === 0) throw new CliError(`No active key starts with ${prefix}`)
    const names = await projectNames(
      db,
      revoked.map((k) => k.project_id),
    )
    for (const k of revoked) {
      const p = names.get(k.project_id)
      const project = p
        ? `${p.name} (id ${k.project_id}, slug ${p.slug})`
        : `project ${k.project_id}`
      io.stdout(`Revoked ${k.prefix}… of ${project}\n`)
    }
  },
}
