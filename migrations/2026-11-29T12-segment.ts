// What Segment's tracking spec needs remembered (src/segment/). Frozen: never import app code.
//
// - segment_messages: every Segment `messageId` a project has applied, so a retry or a duplicate
//   is applied once (the primary key is the guard, checked by the ingest statement itself). Rows
//   older than 7 days are pruned by later ingest statements (received_at's index).
// - segment_ids: a project's external ids (Segment's `userId`, `anonymousId`, an alias's
//   `previousId`) → the email of the customer they name, so a `track` carrying only a `userId`
//   finds its customer. By email, like every ingest write: an email merged into another customer
//   routes to the survivor through its tombstone.
import { sql, type Kysely } from 'kysely'

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('segment_messages')
    .addColumn('project_id', 'bigint', (c) =>
      c.notNull().references('projects.id').onDelete('cascade'),
    )
    .addColumn('message_id', 'text', (c) => c.notNull())
    .addColumn('received_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addPrimaryKeyConstraint('segment_messages_pkey', ['project_id', 'message_id'])
    .execute()
  await db.schema
    .createIndex('segment_messages_received_idx')
    .on('segment_messages')
    .column('received_at')
    .execute()

  await db.schema
    .createTable('segment_ids')
    .addColumn('project_id', 'bigint', (c) =>
      c.notNull().references('projects.id').onDelete('cascade'),
    )
    .addColumn('external_id', 'text', (c) => c.notNull())
    .addColumn('email', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addPrimaryKeyConstraint('segment_ids_pkey', ['project_id', 'external_id'])
    .execute()
  await db.schema
    .createIndex('segment_ids_email_idx')
    .on('segment_ids')
    .columns(['project_id', 'email'])
    .execute()
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('segment_ids').ifExists().execute()
  await db.schema.dropTable('segment_messages').ifExists().execute()
}
