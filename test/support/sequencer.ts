// The order files start in. Vitest's own order runs each project's files together (browser, node,
// postgres, sdk, workers by name), so on a fresh clone a Postgres race test of two minutes began
// after every node file, near the end, and the suite waited on it alone. The files that take
// 20 s or more are started first, longest first, across projects (times from a CI run's
// test-artifacts/vitest.json); the rest follow in Vitest's order, the isolated projects' files
// first (see sort). Only the order changes: files still run three at a time, and the Worker files
// one at a time after the rest.
import { BaseSequencer, type TestSpecification } from 'vitest/node'

const LONGEST_FIRST = [
  'test/browser/pages.test.ts',
  'src/merges/races.pg.test.ts',
  'test/browser/builder.test.ts',
  'sdk/test/package.test.ts',
  'src/cli/cli.test.ts',
  'src/billing/races.pg.test.ts',
  'src/projects/create-races.pg.test.ts',
  'src/csv/import.test.ts',
  'test/browser/import.test.ts',
  'test/browser/dashboard-fixes.test.ts',
  'src/ingest/soak.pg.test.ts',
  'test/browser/refused-forms.test.ts',
  'src/backup/bundle.test.ts',
  'test/browser/rail-and-drawer.test.ts',
  'src/segment/races.pg.test.ts',
  'src/segment/library.test.ts',
  'src/csv/round-trip.test.ts',
  'test/browser/accounts.test.ts',
  'src/segment/one-by-one.pg.test.ts',
  'src/billing/replay.test.ts',
]

export default class LongestFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files)
    // After the longest, the files that load their modules afresh (isolated projects: browser,
    // sdk), each a few seconds of set-up before its first test; the files that share a worker's
    // modules last. Run last, the isolated ones made a tail of one file at a time (a CI run: the
    // sdk files from 620 s to 660 s, one after another, each 5 s apart).
    const rank = (spec: TestSpecification) => {
      const i = LONGEST_FIRST.findIndex((path) => spec.moduleId.endsWith(path))
      if (i >= 0) return i
      return LONGEST_FIRST.length + (spec.project.config.isolate === false ? 1 : 0)
    }
    return sorted.sort((a, b) => rank(a) - rank(b))
  }
}
