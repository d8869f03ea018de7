// `project create` and `project list`. Creating a project prints its first API key as the last
// line of stdout, so `KEY=$(npm run -s tinycrm -- project create … | tail -n 1)` works.
import { normaliseEmail } from '../accounts/store.js'
import { normaliseColor } from '../projects/colors.js'
import { createProject, ensureProject, listProjects } from '../projects/store.js'
import { CliError, formatDate, formatTable, str, toJson, type Command } from './command.js'
import { listAccounts, requireAccount } from './lookup.js'

export const projectCreate: Command = {
  name: 'project create',
  summary: 'Create a project (one per product) and print its first API key',
  usage: '--account EMAIL --name NAME [--color #RRGGBB] [--if-missing]',
  help:
    'The slug is made from the name (unique within the account: a second "App A" is app-a-2).\n' +
    'The API key is shown this once, as the last line of stdout; only its hash is stored.\n\n' +
    '--if-missing: when the account already has the project of that slug, change nothing, say so\n' +
    'on stderr and print nothing on stdout (exit 0), so a setup script can run again safely;\n' +
    'its keys are not shown again (`key create` adds one).\n\n' +
    'Example:\n' +
    '  KEY=$(npm run -s tinycrm -- project create --account me@example.com --name "App A" | tail -n 1)',
  options: {
    account: { type: 'string' },
    name: { type: 'string' },
    color: { type: 'string' },
    'if-missing': { type: 'boolean' },
  },
  required: ['account', 'name'],
  async run({ db, values, io }) {
    const color = str(values, 'color')
    if (color !== undefined && !normaliseColor(color)) {
      throw new CliError(`--color must look like #4f46e5, got '${color}'`)
    }
    const email = str(values, 'account')!
    const accountId = await requireAccount(db, email)
    const input = { accountId, name: str(values, 'name')!, color }
    const { project, key } = values['if-missing']
      ? await ensureProject(db, input)
      : await createProject(db, { ...input, duplicate: true }) // a second one, as asked (see --if-missing)
    if (key === null) {
      io.stderr(
        `Project ${project.name} (id ${project.id}, slug ${project.slug}) already exists ` +
          `for ${normaliseEmail(email)}: nothing changed. Its keys are not shown again ` +
          `(add one: npm run tinycrm -- key create --project ${project.id}).\n`,
      )
      return
    }
    io.stdout(
      `Created project ${project.name} (id ${project.id}, slug ${project.slug}) ` +
        `for ${normaliseEmail(email)}.\n` +
        'Its API key, shown this once (put it in the product backend as TINYCRM_API_KEY):\n' +
        `${key}\n`,
    )
  },
}

export const projectList: Command = {
  name: 'project list',
  summary: 'List projects with their id, slug, name and number of active keys',
  usage: '[--account EMAIL] [--json]',
  help:
    'Without --account: the projects of every account.\n' +
    '--json prints an array of { id, accountId, slug, name, color, activeKeys, createdAt }.',
  options: { account: { type: 'string' }, json: { type: 'boolean' } },
  async run({ db, values, io }) {
    const email = str(values, 'account')
    const accounts =
      email === undefined
        ? (await listAccounts(db)).map((a) => ({ id: a.id, label: a.emails ?? a.name }))
        : [{ id: await requireAccount(db, email), label: normaliseEmail(email) }]
    type Row = Awaited<ReturnType<typeof listProjects>>[number] & { account: (typeof accounts)[0] }
    const rows: Row[] = []
    for (const account of accounts) {
      for (const p of await listProjects(db, account.id)) rows.push({ ...p, account })
    }
    if (values.json) {
      io.stdout(
        toJson(
          rows.map((p) => ({
            id: p.id,
            accountId: p.account.id,
            slug: p.slug,
            name: p.name,
            color: p.color,
            activeKeys: p.active_keys ?? 0,
            createdAt: new Date(p.created_at).toISOString(),
          })),
        ),
      )
      return
    }
    if (rows.length === 0) {
      io.stdout(
        'No projects yet. Create one: npm run tinycrm -- project create --account EMAIL --name NAME\n',
      )
      return
    }
    const header = ['ID', 'SLUG', 'ACTIVE KEYS', 'CREATED (UTC)', 'NAME']
    const line = (p: Row) => [
      String(p.id),
      p.slug,
      String(p.active_keys ?? 0),
      formatDate(p.created_at),
      p.name,
    ]
    io.stdout(
      email === undefined
        ? formatTable(
            ['ACCOUNT', ...header],
            rows.map((p) => [p.account.label, ...line(p)]),
          )
        : formatTable(header, rows.map(line)),
    )
  },
}
