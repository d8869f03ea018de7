// Every migration, by name, in order. A static map (not a folder scan) so the Worker bundle
// carries them too; `npm run migrate` and the embedded server both read this list.
import type { Migration } from 'kysely/migration'
import * as initial from './2026-11-23T00-initial.js'
import * as sessions from './2026-11-23T01-sessions.js'
import * as customerSearch from './2026-11-23T02-customer-search.js'
import * as mergesTokens from './2026-11-23T03-merges-tokens.js'
import * as importEmails from './2026-11-23T04-import-emails.js'
import * as mergeTombstones from './2026-11-28T00-merge-tombstones.js'
import * as billing from './2026-11-28T01-billing.js'
import * as firstSignup from './2026-11-29T00-first-signup.js'
import * as customerSummary from './2026-11-30T00-customer-summary.js'
import * as tokenCreator from './2026-11-30T01-token-creator.js'
import * as summaryTriggerCost from './2026-11-30T02-summary-trigger-cost.js'
import * as noJit from './2026-11-30T03-no-jit.js'
import * as summaryRefreshByKey from './2026-11-30T04-summary-refresh-by-key.js'
import * as undoHistory from './2026-11-30T05-undo-history.js'
import * as nameOrder from './2026-11-30T06-name-order.js'
import * as importUploadProgress from './2026-11-30T07-import-upload-progress.js'
import * as billingProducts from './2026-11-30T08-billing-products.js'
import * as bestRankIndex from './2026-11-30T09-best-rank-index.js'
import * as mergeHistoryTime from './2026-12-01T00-merge-history-time.js'
import * as billingCustomerName from './2026-12-01T01-billing-customer-name.js'
import * as mergesOfDeletedCustomers from './2026-12-02T00-merges-of-deleted-customers.js'
import * as summaryRefreshGenericPlan from './2026-12-03T00-summary-refresh-generic-plan.js'
import * as projectActivityCustomer from './2026-12-03T01-project-activity-customer.js'
import * as invites from './2026-11-29T13-invites.js'
import * as newestWins from './2026-11-29T10-newest-wins.js'
import * as relationHistory from './2026-11-29T11-relation-history.js'
import * as savedViews from './2026-11-29T12-saved-views.js'
import * as segment from './2026-11-29T12-segment.js'
import * as segmentSource from './2026-11-29T14-segment-source.js'

export const migrations: Record<string, Migration> = {
  '2026-11-23T00-initial': initial,
  '2026-11-23T01-sessions': sessions,
  '2026-11-23T02-customer-search': customerSearch,
  '2026-11-23T03-merges-tokens': mergesTokens,
  '2026-11-23T04-import-emails': importEmails,
  '2026-11-28T00-merge-tombstones': mergeTombstones,
  '2026-11-28T01-billing': billing,
  '2026-11-29T00-first-signup': firstSignup,
  '2026-11-29T10-newest-wins': newestWins,
  '2026-11-29T11-relation-history': relationHistory,
  '2026-11-29T12-saved-views': savedViews,
  '2026-11-29T12-segment': segment,
  '2026-11-29T13-invites': invites,
  '2026-11-29T14-segment-source': segmentSource,
  '2026-11-30T00-customer-summary': customerSummary,
  '2026-11-30T01-token-creator': tokenCreator,
  '2026-11-30T02-summary-trigger-cost': summaryTriggerCost,
  '2026-11-30T03-no-jit': noJit,
  '2026-11-30T04-summary-refresh-by-key': summaryRefreshByKey,
  '2026-11-30T05-undo-history': undoHistory,
  '2026-11-30T06-name-order': nameOrder,
  '2026-11-30T07-import-upload-progress': importUploadProgress,
  '2026-11-30T08-billing-products': billingProducts,
  '2026-11-30T09-best-rank-index': bestRankIndex,
  '2026-12-01T00-merge-history-time': mergeHistoryTime,
  '2026-12-01T01-billing-customer-name': billingCustomerName,
  '2026-12-02T00-merges-of-deleted-customers': mergesOfDeletedCustomers,
  '2026-12-03T00-summary-refresh-generic-plan': summaryRefreshGenericPlan,
  '2026-12-03T01-project-activity-customer': projectActivityCustomer,
}
