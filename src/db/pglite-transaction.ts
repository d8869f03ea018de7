// A transaction for a driver (./pglite-dialect.ts, ./pglite-worker.ts): open from its BEGIN until
// it is told to commit or roll back, where PGlite's own transaction() lasts as long as a callback.
import type { PGlite, Transaction } from '@electric-sql/pglite'

export interface HeldTransaction {
  tx: Transaction
  /** Commits (true) or rolls back; resolves once PGlite has, rejects with a failed COMMIT's error. */
  end(commit: boolean): Promise<void>
}

/** A PGlite transaction held open (PGlite holds its one connection for it) until `end`: commit,
 *  or roll back. PGlite's own transaction() lasts as long as a callback; a driver's runs from
 *  begin to commit. */
export async function heldTransaction(pglite: PGlite): Promise<HeldTransaction> {
  const rollback = Symbol('rollback')
  let held!: { tx: Transaction; end(commit: boolean): void }
  let begun!: () => void
  const open = new Promise<void>((resolve) => (begun = resolve))
  const ended = pglite
    .transaction(
      (tx) =>
        new Promise<void>((resolve, reject) => {
          held = { tx, end: (commit) => (commit ? resolve() : reject(rollback)) }
          begun()
        }),
    )
    .catch((err: unknown) => {
      if (err !== rollback) throw err
    })
  // A BEGIN that fails settles `ended` first.
  await Promise.race([open, ended])
  return {
    tx: held.tx,
    end(commit) {
      held.end(commit)
      return ended
    },
  }
}
