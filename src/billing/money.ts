// Amounts in billing events come in the currency's minor unit (cents; yen for JPY, which has
// none). `mrr` is a monthly amount in the major unit: each subscription's monthly amount is kept
// unrounded in minor units, and rounding to the currency's precision happens once, on the sum.

/** Stripe's zero-decimal currencies: amounts are whole units (docs: "Supported currencies"). */
const STRIPE_ZERO_DECIMAL = new Set(
  'bif clp djf gnf jpy kmf krw mga pyg rwf ugx vnd vuv xaf xof xpf'.split(' '),
)
/** Stripe's three-decimal currencies. Every other currency has two decimals in Stripe's API,
 *  including ISK, HUF and TWD, which Stripe sends as two-decimal amounts. */
const STRIPE_THREE_DECIMAL = new Set('bhd jod kwd omr tnd'.split(' '))

/** Decimal places of a Stripe amount in `currency`. */
export function stripeDigits(currency: string): number {
  const c = currency.toLowerCase()
  if (STRIPE_ZERO_DECIMAL.has(c)) return 0
  if (STRIPE_THREE_DECIMAL.has(c)) return 3
  return 2
}

/** Decimal places of a Paddle amount: Paddle follows ISO 4217 (JPY and KRW have none). */
export function isoDigits(currency: string): number {
  try {
    const format = new Intl.NumberFormat('en', { style: 'currency', currency })
    return format.resolvedOptions().maximumFractionDigits ?? 2
  } catch {
    return 2 // not a currency code Intl knows: the common case
  }
}

export type Interval = 'day' | 'week' | 'month' | 'year'

const PERIODS_PER_YEAR: Record<Interval, number> = { day: 365, week: 52, month: 12, year: 1 }

export function isInterval(value: unknown): value is Interval {
  return typeof value === 'string' && value in PERIODS_PER_YEAR
}

/** An amount billed every `count` `interval`s, as a monthly amount in the same (minor) unit:
 *  yearly ÷ 12, weekly × 52 ÷ 12, daily × 365 ÷ 12. Not rounded. */
export function perMonth(amount: number, interval: Interval, count = 1): number {
  return (amount * PERIODS_PER_YEAR[interval]) / (12 * Math.max(1, count))
}

/** The major-unit amount of a sum of unrounded minor-unit amounts, rounded once to the currency's
 *  precision (half away from zero, as Postgres' round() does it). */
export function toMajor(minor: number, digits: number): number {
  const whole = Math.sign(minor) * Math.round(Math.abs(minor))
  return Number((whole / 10 ** digits).toFixed(digits))
}
