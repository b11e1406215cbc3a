-- ActorStream entity state on SQLite (Akka.Persistence.Sql 1.5.73, table-mapping = sqlite).
-- Generated from the tables `actorstream db init` creates; applying it is equivalent to running that
-- command. Run once per database file, e.g.: sqlite3 data/actorstream.db < deploy/sql/sqlite.sql
PRAGMA journal_mode=WAL;

CREATE TABLE IF NOT EXISTS [event_journal]
(
	[ordering]       INTEGER        NOT NULL PRIMARY KEY AUTOINCREMENT,
	[timestamp]      INTEGER        NOT NULL,
	[is_deleted]     Bit            NOT NULL,
	[persistence_id] NVarChar(255)  NOT NULL,
	[sequence_nr]    INTEGER        NOT NULL,
	[payload]        VarBinary      NOT NULL,
	[manifest]       NVarChar(500)      NULL,
	[serializer_id]  INTEGER            NULL
);

CREATE TABLE IF NOT EXISTS [snapshot]
(
	[persistence_id] NVarChar(255) NOT NULL,
	[sequence_nr]    INTEGER       NOT NULL,
	[created_at]     INTEGER       NOT NULL,
	[payload]        VarBinary         NULL,
	[manifest]       NVarChar(500)     NULL,
	[serializer_id]  INTEGER           NULL,

	CONSTRAINT [PK_snapshot] PRIMARY KEY ([persistence_id], [sequence_nr])
);

CREATE TABLE IF NOT EXISTS [tags]
(
	[ordering_id]    INTEGER       NOT NULL,
	[tag]            NVarChar(64)  NOT NULL,
	[sequence_nr]    INTEGER       NOT NULL,
	[persistence_id] NVarChar(255) NOT NULL,

	CONSTRAINT [PK_tags] PRIMARY KEY ([ordering_id], [tag])
);

CREATE INDEX IF NOT EXISTS event_journal_sequence_nr_idx ON event_journal (sequence_nr);

CREATE INDEX IF NOT EXISTS event_journal_timestamp_idx ON event_journal (timestamp);

CREATE UNIQUE INDEX IF NOT EXISTS event_journal_uq ON event_journal (persistence_id, sequence_nr);

CREATE INDEX IF NOT EXISTS snapshot_created_at_idx ON snapshot (created_at);

CREATE INDEX IF NOT EXISTS snapshot_sequence_nr_idx ON snapshot (sequence_nr);

CREATE INDEX IF NOT EXISTS tags_persistence_id_sequence_nr_idx ON tags (persistence_id, sequence_nr);

CREATE INDEX IF NOT EXISTS tags_tag_idx ON tags (tag);
