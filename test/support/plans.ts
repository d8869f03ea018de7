// PostgreSQL's EXPLAIN (FORMAT JSON) plans, for the tests that check how a statement reads its
// tables: the fields they read, and every node of a plan in one list.

/** A plan node, with the fields these tests read (`Actual …` only under EXPLAIN ANALYZE). */
export interface PlanNode {
  'Node Type': string
  'Relation Name'?: string
  'Index Name'?: string
  'Actual Rows'?: number
  'Actual Loops'?: number
  'Rows Removed by Filter'?: number
  'Rows Removed by Index Recheck'?: number
  Plans?: PlanNode[]
}

/** The rows of an EXPLAIN (FORMAT JSON). */
export type ExplainRow = { 'QUERY PLAN': [{ Plan: PlanNode }] }

/** The node and every node under it, parents first. */
export function planNodes(node: PlanNode): PlanNode[] {
  return [node, ...(node.Plans ?? []).flatMap(planNodes)]
}
