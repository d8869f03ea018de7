// The survivor's state as a digest: recorded right after a merge (./merge-sql.ts) and compared by
// undo (./undo-sql.ts), which refuses when the survivor changed since.
import { sql, type RawBuilder } from 'kysely'

/** A digest of everything an undo would overwrite on the survivor `id`: its row and its relations
 *  (timestamps as epoch numbers, so the digest does not depend on the session's time zone). The
 *  migration 2026-11-28T00 holds a frozen copy for the merges made before it. */
export const survivorState = (id: RawBuilder<unknown>) => sql<string>`(
  SELECT md5(jsonb_build_array(c.name, extract(epoch FROM c.created_at),
    extract(epoch FROM c.last_activity_at), extract(epoch FROM c.updated_at),
    COALESCE((SELECT jsonb_agg(jsonb_build_array(r.project_id, r.status, r.params,
        extract(epoch FROM r.first_seen_at), extract(epoch FROM r.last_activity_at),
        extract(epoch FROM r.updated_at)) ORDER BY r.project_id)
      FROM customer_projects r WHERE r.customer_id = c.id), '[]'::jsonb))::text)
  FROM customers c WHERE c.id = ${id})`
