// The order files start in. Vitest's own order runs each project's files together (browser, node,
// postgres, sdk, workers by name), so on a fresh clone a Postgres race test of two minutes began
// after every node file, near the end, and the suite waited on it alone. The files that take a
// minute or more are started first, longest first, across projects (times from a CI run's
// test-artifacts/vitest.json); the rest follow in Vitest's order. Only the order changes: files
// still run three at a time, and the Worker files one at a time after the rest.
import { BaseSequencer, type TestSpecification } from 'vitest/node'

const LONGEST_FIRST = [
  'src/csv/import.test.ts',
  'src/cli/cli.test.ts',
  'src/merges/races.pg.test.ts',
  'sdk/test/package.test.ts',
  'src/ingest/soak.pg.test.ts',
  'test/browser/pages.test.ts',
  'src/backup/bundle.test.ts',
  'src/segment/library.test.ts',
  'src/csv/stream-upload.test.ts',
  'src/csv/import.pg.test.ts',
  'src/csv/round-trip.test.ts',
  'src/segment/races.pg.test.ts',
  'src/billing/replay.test.ts',
  'test/browser/builder.test.ts',
  'src/ingest/faults.pg.test.ts',
  'test/browser/import.test.ts',
]

export default class LongestFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files)
    const rank = (spec: TestSpecification) => {
      const i = LONGEST_FIRST.findIndex((path) => spec.moduleId.endsWith(path))
      return i < 0 ? LONGEST_FIRST.length : i
    }
    return sorted.sort((a, b) => rank(a) - rank(b))
  }
}
