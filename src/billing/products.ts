// Routing by product: a connection may list the provider's product ids (Stripe `prod_…`, Paddle
// `pro_…`) whose events it applies, for an account that sells several products, each its own
// project. Empty: every product. The list is checked here (the account API and the dashboard
// both), and read by the mappings (./stripe.ts, ./paddle.ts) through ProductFilter.
import { ApiError } from '../lib/errors.js'
import type { Provider } from './events.js'

export const MAX_PRODUCTS = 50

/** Stripe ids of other objects, the likely mistakes when a product id is asked for. */
const STRIPE_NOT_PRODUCT: [RegExp, string][] = [
  [/^(price|plan)_/, 'a Stripe price id'],
  [/^(sub|si)_/, 'a Stripe subscription id'],
  [/^cus_/, 'a Stripe customer id'],
  [/^(sk|rk|pk|whsec)_/, 'a Stripe key or secret'],
  [/^(in|il|ch|pi|cs|evt)_/, 'the id of another Stripe object'],
]

/** A Stripe or Paddle key or secret pasted where a product id goes: never said back in full. */
export const looksLikeSecret = (id: string) => /^(sk|rk|whsec)_|^pdl_/.test(id)

/** Why `id` is no product id of `provider`, or undefined when it is a plausible one. Stripe makes
 *  `prod_` + letters and digits, and accepts a custom id (letters, digits, `_`, `-`); Paddle's
 *  are `pro_` + lower-case letters and digits. A key or secret is named by its prefix only. */
export function productIdProblem(provider: Provider, id: string): string | undefined {
  const shown = looksLikeSecret(id) ? `${id.slice(0, id.indexOf('_') + 1)}…` : id.slice(0, 80)
  if (provider === 'paddle') {
    return /^pro_[a-z0-9]{1,60}$/.test(id)
      ? undefined
      : `"${shown}" is not a Paddle product id (pro_ and lower-case letters and digits)`
  }
  for (const [pattern, what] of STRIPE_NOT_PRODUCT) {
    if (pattern.test(id)) {
      return `"${shown}" is ${what}; give the product's id (prod_…), shown on its page in Stripe`
    }
  }
  return /^[A-Za-z0-9][A-Za-z0-9_-]{0,99}$/.test(id)
    ? undefined
    : `"${shown}" is not a Stripe product id (prod_ and letters and digits)`
}

const refuse = (message: string): never => {
  throw new ApiError('validation_failed', message, [{ path: 'products', message }])
}

/** The list as given (the account API's array, or the dashboard's text split on commas, spaces and
 *  lines), checked: each a plausible product id of the provider, at most MAX_PRODUCTS, duplicates
 *  dropped. Refused with a 400 naming `products` otherwise. */
export function checkedProducts(provider: Provider, input: unknown): string[] {
  const list =
    typeof input === 'string'
      ? input.split(/[\s,]+/).filter((s) => s !== '')
      : Array.isArray(input)
        ? input
        : refuse('products must be an array of product id strings')
  const products: string[] = []
  for (const value of list as unknown[]) {
    if (typeof value !== 'string') refuse('products must be an array of product id strings')
    const id = (value as string).trim()
    const problem = productIdProblem(provider, id)
    if (problem) refuse(`products: ${problem}`)
    if (!products.includes(id)) products.push(id)
  }
  if (products.length > MAX_PRODUCTS) {
    refuse(`products lists ${products.length} ids; at most ${MAX_PRODUCTS}`)
  }
  return products
}

/**
 * The products a connection applies. `all`: no list, every event as before. Otherwise `has(id)`
 * says whether a product is listed; the mappings keep only the listed items of an event (their
 * amounts, their plan), ignore an event whose items name none of them, and mark an event that
 * names no product at all (a customer, a checkout without its line items, a refund) `knownOnly`:
 * it updates only a billing customer the project already has a listed subscription of.
 */
export interface ProductFilter {
  all: boolean
  has(id: string | undefined): boolean
}

export function productFilter(products: readonly string[] | null | undefined): ProductFilter {
  const set = new Set(products ?? [])
  return { all: set.size === 0, has: (id) => set.size === 0 || (id !== undefined && set.has(id)) }
}

export const EVERY_PRODUCT: ProductFilter = productFilter([])

/** Of the items of an event, which the filter keeps: `listed` the kept ones; `named` whether any
 *  item said its product (an event whose items name none cannot be routed). */
export function routeItems<T>(
  filter: ProductFilter,
  items: T[],
  productOf: (item: T) => string | undefined,
): { listed: T[]; named: boolean } {
  if (filter.all) return { listed: items, named: true }
  let named = false
  const listed = items.filter((item) => {
    const id = productOf(item)
    if (id !== undefined) named = true
    return filter.has(id)
  })
  return { listed, named }
}
