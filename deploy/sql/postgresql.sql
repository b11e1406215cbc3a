-- ActorStream entity state on PostgreSQL (Akka.Persistence.Sql 1.5.73, table-mapping = postgresql,
-- schema public). The same tables `actorstream db init` creates (taken from pg_dump -s of a database
-- it initialised). For production: run this once as a role with DDL rights, then run the nodes with
-- actorstream.persistence.auto-initialize = off and a role that only has
-- SELECT, INSERT, UPDATE, DELETE on these tables (and USAGE on the identity sequence).
--   psql "$ADMIN_URL" -v ON_ERROR_STOP=1 -f deploy/sql/postgresql.sql
-- To use another schema, replace "public." below and set actorstream.persistence.postgresql.schema.
BEGIN;

CREATE TABLE IF NOT EXISTS public.event_journal (
    ordering bigint GENERATED ALWAYS AS IDENTITY NOT NULL,
    created_at bigint NOT NULL,
    is_deleted boolean NOT NULL,
    persistence_id text NOT NULL,
    sequence_nr bigint NOT NULL,
    payload bytea NOT NULL,
    manifest text,
    serializer_id integer,
    CONSTRAINT "PK_event_journal" PRIMARY KEY (ordering),
    CONSTRAINT event_journal_uq UNIQUE (persistence_id, sequence_nr)
);
CREATE INDEX IF NOT EXISTS event_journal_created_at_idx ON public.event_journal USING btree (created_at);
CREATE INDEX IF NOT EXISTS event_journal_sequence_nr_idx ON public.event_journal USING btree (sequence_nr);

CREATE TABLE IF NOT EXISTS public.tags (
    ordering_id bigint NOT NULL,
    tag text NOT NULL,
    sequence_nr bigint NOT NULL,
    persistence_id text NOT NULL,
    CONSTRAINT "PK_tags" PRIMARY KEY (ordering_id, tag)
);
CREATE INDEX IF NOT EXISTS tags_persistence_id_sequence_nr_idx ON public.tags USING btree (persistence_id, sequence_nr);
CREATE INDEX IF NOT EXISTS tags_tag_idx ON public.tags USING btree (tag);

CREATE TABLE IF NOT EXISTS public.snapshot_store (
    persistence_id text NOT NULL,
    sequence_nr bigint NOT NULL,
    created_at bigint NOT NULL,
    payload bytea,
    manifest text,
    serializer_id integer,
    CONSTRAINT "PK_snapshot_store" PRIMARY KEY (persistence_id, sequence_nr)
);
CREATE INDEX IF NOT EXISTS snapshot_store_created_at_idx ON public.snapshot_store USING btree (created_at);
CREATE INDEX IF NOT EXISTS snapshot_store_sequence_nr_idx ON public.snapshot_store USING btree (sequence_nr);

COMMIT;
