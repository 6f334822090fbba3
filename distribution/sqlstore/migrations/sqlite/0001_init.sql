-- nsdist sqlstore schema 1 (SQLite). Keep in step with postgres/0001_init.sql:
-- the same tables and columns; only the types differ.

-- Customers' tokens, sealed with AES-256-GCM. The key columns are bound to
-- the ciphertext as associated data; issued_ms orders saves (a stale token
-- never replaces a newer one).
CREATE TABLE nsdist_tokens (
	tenant     TEXT    NOT NULL,
	kind       TEXT    NOT NULL,
	account    TEXT    NOT NULL,
	client_id  TEXT    NOT NULL,
	role       TEXT    NOT NULL,
	entity     TEXT    NOT NULL,
	key_id     TEXT    NOT NULL,
	sealed     BLOB    NOT NULL,
	issued_ms  INTEGER NOT NULL,
	version    INTEGER NOT NULL,
	updated_ms INTEGER NOT NULL,
	PRIMARY KEY (tenant, kind, account, client_id, role, entity)
);

-- Started authorizations by the SHA-256 of their state; taken once.
CREATE TABLE nsdist_pending (
	state_hash TEXT    NOT NULL PRIMARY KEY,
	key_id     TEXT    NOT NULL,
	sealed     BLOB    NOT NULL,
	expires_ms INTEGER NOT NULL
);
CREATE INDEX nsdist_pending_expires ON nsdist_pending (expires_ms);

-- Cross-process leases.
CREATE TABLE nsdist_leases (
	name       TEXT    NOT NULL PRIMARY KEY,
	owner      TEXT    NOT NULL,
	expires_ms INTEGER NOT NULL
);

-- Rollout journals: runs, and one result per (journal, run, account).
CREATE TABLE nsdist_journal_runs (
	journal    TEXT    NOT NULL,
	run        TEXT    NOT NULL,
	record     TEXT    NOT NULL,
	started_ms INTEGER NOT NULL,
	PRIMARY KEY (journal, run)
);
CREATE TABLE nsdist_journal (
	id      INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
	journal TEXT    NOT NULL,
	run     TEXT    NOT NULL,
	account TEXT    NOT NULL,
	record  TEXT    NOT NULL,
	time_ms INTEGER NOT NULL,
	outcome TEXT    NOT NULL,
	entry   TEXT    NOT NULL,
	UNIQUE (journal, run, account)
);
CREATE INDEX nsdist_journal_latest ON nsdist_journal (journal, record, account, time_ms, id);
