// Any CSV file and any mapping a form could post: the upload stores it or refuses it with a 400,
// the mapping is accepted or refused with a 400, and an accepted import always runs to its end
// (dry run and import), every row counted once: imported, or rejected with a reason. Prototype
// names are drawn for every header, cell, status, param key, target and type.
import { beforeAll, expect, it } from 'vitest'
import fc from 'fast-check'
import { ApiError } from '../lib/errors.js'
import { useTestDb } from '../../test/support/db.js'
import { seedAccount } from '../../test/support/fixtures.js'
import { PROTOTYPE_NAMES } from '../../test/support/prototype-names.js'
import { csvLine } from './export.js'
import { importToEnd, listRejects, loadJob } from './job.js'
import { PARAM_TYPES, TARGETS, suggestMapping, type Mapping } from './mapping.js'
import { createImport } from './upload.js'

const t = useTestDb()
let accountId: number
let project: { id: number; slug: string }

beforeAll(async () => {
  const seeded = await seedAccount(t.db, ['Fuzz'])
  accountId = seeded.accountId
  project = seeded.projects[0]!.project
})

const proto = fc.constantFrom(...PROTOTYPE_NAMES)
const text = fc.oneof(
  fc.string({ maxLength: 12 }),
  proto,
  fc.constantFrom('paid', 'free', 'trialing', '=1+1', "'-x", '"q"', 'a,b', 'l1\nl2', 'ü', ' 42 '),
  fc.constantFrom('true', '12.5', '2026-03-01', '{"a":1}', '[1]', '2026-02-30', '0001-01-01'),
)
const email = fc.oneof(
  fc.emailAddress(),
  proto,
  proto.map((n) => `${n}@x.test`),
  fc.constantFrom('', 'not-an-email', `${'a'.repeat(250)}@x.test`),
)
const header = fc.array(fc.oneof(proto, text, fc.constantFrom('status', 'name', 'email')), {
  minLength: 1,
  maxLength: 5,
})
const mappingFor = (columns: number) =>
  fc.array(
    fc.oneof(
      fc.record({ target: fc.constantFrom(...TARGETS) }),
      fc.record({
        target: fc.constant('param'),
        key: fc.oneof(proto, text),
        type: fc.oneof(fc.constantFrom(...PARAM_TYPES), proto),
      }),
      fc.record({ target: proto }),
    ),
    { minLength: columns, maxLength: columns },
  )

it('imports or refuses any file and mapping: never stalls, every row counted once', async () => {
  let imported = 0
  await fc.assert(
    fc.asyncProperty(
      header.chain((h) =>
        fc.tuple(
          fc.constant<string[]>(['email', ...h]),
          fc.array(
            fc.tuple(email, fc.array(text, { minLength: h.length, maxLength: h.length + 1 })),
            { minLength: 1, maxLength: 6 },
          ),
          // Half the runs take the suggested mapping, so that enough files reach the import.
          fc.option(mappingFor(h.length + 1), { nil: undefined, freq: 2 }),
        ),
      ),
      async ([head, rows, drawn]) => {
        const csv = csvLine(head) + rows.map(([e, cells]) => csvLine([e, ...cells])).join('')
        let importId: number
        try {
          ;({ importId } = await createImport(t.db, {
            accountId,
            projectId: project.id,
            filename: 'fuzz.csv',
            body: new Blob([csv]).stream(),
          }))
        } catch (err) {
          expect(err).toBeInstanceOf(ApiError)
          expect((err as ApiError).status).toBe(400)
          return
        }
        const job = await loadJob(t.db, accountId, importId)
        const mapping: Mapping =
          (drawn as Mapping | undefined) ?? suggestMapping(job.header, [], project.slug)
        let result
        try {
          result = await importToEnd(t.db, accountId, importId, mapping)
        } catch (err) {
          expect(err).toBeInstanceOf(ApiError)
          expect((err as ApiError).code).toBe('validation_failed')
          return
        }
        const done = await loadJob(t.db, accountId, importId)
        expect(done.state).toBe('done')
        const counted = Object.values(result.counts).reduce((a, b) => a + b, 0)
        expect(counted).toBe(rows.length)
        expect(result.counts.rejected).toBe(result.dryRun.rejected)
        const rejects = await listRejects(t.db, importId)
        expect(rejects).toHaveLength(result.counts.rejected)
        for (const r of rejects) expect(r.reason).toEqual(expect.any(String))
        imported++
      },
    ),
    { numRuns: 60 },
  )
  expect(imported).toBeGreaterThan(10)
})
