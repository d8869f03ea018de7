// When a write runs again: only when Postgres rolled it back for losing a race (a deadlock, a
// serialization failure) or the caller says so, and at most WRITE_ATTEMPTS times in all.
import { expect, it } from 'vitest'
import { WRITE_ATTEMPTS, isTransient, retryTransient } from './retry.js'

const pgError = (code: string) => Object.assign(new Error(`sqlstate ${code}`), { code })

/** A write that fails with `errors` in turn, then answers 'done'; counts its runs. */
function flaky(...errors: Error[]) {
  const write = async () => {
    write.runs++
    const err = errors.shift()
    if (err) throw err
    return 'done'
  }
  write.runs = 0
  return write
}

it('knows a deadlock and a serialization failure as transient, nothing else', () => {
  expect(isTransient(pgError('40P01'))).toBe(true)
  expect(isTransient(pgError('40001'))).toBe(true)
  expect(isTransient(pgError('23505'))).toBe(false)
  expect(isTransient(new Error('no code'))).toBe(false)
  expect(isTransient(null)).toBe(false)
})

it('runs a write again after deadlocks and serialization failures, and answers its result', async () => {
  const write = flaky(pgError('40P01'), pgError('40001'), pgError('40P01'), pgError('40P01'))
  await expect(retryTransient(write)).resolves.toBe('done')
  expect(write.runs).toBe(5)
})

it(`gives up after ${WRITE_ATTEMPTS} runs and throws the last failure`, async () => {
  const errors = Array.from({ length: WRITE_ATTEMPTS + 1 }, (_, i) =>
    pgError(i % 2 ? '40001' : '40P01'),
  )
  const write = flaky(...errors)
  await expect(retryTransient(write)).rejects.toBe(errors[WRITE_ATTEMPTS - 1])
  expect(write.runs).toBe(WRITE_ATTEMPTS)
})

it('does not run again a write that failed for another reason', async () => {
  const unique = pgError('23505')
  const write = flaky(unique)
  await expect(retryTransient(write)).rejects.toBe(unique)
  expect(write.runs).toBe(1)
})

it('also runs again on the failures the caller names, within the same limit', async () => {
  const clash = pgError('23505')
  const write = flaky(clash, pgError('40P01'), clash)
  const alsoRetry = (err: unknown) => err === clash
  await expect(retryTransient(write, { alsoRetry })).resolves.toBe('done')
  expect(write.runs).toBe(4)
  await expect(retryTransient(flaky(clash, clash), { attempts: 2, alsoRetry })).rejects.toBe(clash)
})
