// A Stripe subscription as an event carries it, for the billing tests' webhook deliveries: one item
// of a $29 a month "pro" price, active, unless `over` says otherwise.
export function stripeSubscription(over: Record<string, unknown> = {}) {
  return {
    id: 'sub_1',
    object: 'subscription',
    customer: 'cus_1',
    currency: 'usd',
    status: 'active',
    cancel_at_period_end: false,
    items: {
      data: [
        {
          quantity: 1,
          price: {
            id: 'price_1',
            lookup_key: 'pro',
            unit_amount: 2900,
            recurring: { interval: 'month', interval_count: 1 },
          },
        },
      ],
    },
    ...over,
  }
}
