-- Entente SQLite schema, version 1. Times are microseconds since the Unix
-- epoch, UTC; 0 means none. Lists of names are JSON arrays of strings.

-- meta holds single values: last_date_added is the highest date_added ever
-- given, kept even when that object is deleted so that date_added never
-- goes back and a client's added_after cursor stays valid.
CREATE TABLE meta (
	k TEXT PRIMARY KEY,
	v INTEGER NOT NULL
) WITHOUT ROWID;
INSERT INTO meta (k, v) VALUES ('last_date_added', 0);

CREATE TABLE orgs (
	name      TEXT PRIMARY KEY,
	kind      TEXT NOT NULL,
	client_of TEXT NOT NULL,
	created   INTEGER NOT NULL
) WITHOUT ROWID;

CREATE TABLE users (
	name    TEXT PRIMARY KEY,
	org     TEXT NOT NULL REFERENCES orgs (name),
	role    TEXT NOT NULL,
	created INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX users_org ON users (org);

CREATE TABLE tokens (
	id      TEXT PRIMARY KEY,
	user    TEXT NOT NULL REFERENCES users (name),
	hash    BLOB NOT NULL UNIQUE,
	created INTEGER NOT NULL,
	expires INTEGER NOT NULL,
	revoked INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;
CREATE INDEX tokens_user ON tokens (user);

-- coll is the small key objects refer to; id is the TAXII collection UUID.
CREATE TABLE collections (
	coll        INTEGER PRIMARY KEY,
	id          TEXT NOT NULL UNIQUE,
	title       TEXT NOT NULL,
	description TEXT NOT NULL,
	read_orgs   TEXT NOT NULL,
	write_orgs  TEXT NOT NULL,
	recipients  TEXT NOT NULL,
	default_tlp INTEGER NOT NULL,
	created     INTEGER NOT NULL
);

-- One row per object version. date_added is the rowid: unique across the
-- store by construction, and the (coll) index then orders by it for free.
-- vkey identifies the version within (coll, id): modified, or 0 for objects
-- with a single version; version is what TAXII reports (modified, else
-- created, else date_added). tlp is the object's own marking, 0 when
-- unmarked (the collection default applies at read time). is_first and
-- is_last mark the lowest and highest vkey of (coll, id), kept up to date on
-- insert and delete so that match[version]=first|last is a plain filter.
--
-- Example: indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f modified
-- 2026-01-01T00:00:00Z, TLP:AMBER, posted by analyst "ana" of "cert-a" into
-- collection 1 at 2026-01-02T00:00:00.000001Z, is the row
--   date_added 1767312000000001, coll 1, id 'indicator--8e2e...',
--   type 'indicator', spec_version '2.1', vkey = version = 1767225600000000,
--   tlp 3, producer_org 'cert-a', producer_user 'ana', has_recipients 0,
--   is_first 1, is_last 1, raw the object's JSON as received.
-- An ipv4-addr SCO has vkey 0 and version = date_added.
CREATE TABLE objects (
	date_added     INTEGER PRIMARY KEY,
	coll           INTEGER NOT NULL REFERENCES collections (coll),
	id             TEXT NOT NULL,
	type           TEXT NOT NULL,
	spec_version   TEXT NOT NULL,
	vkey           INTEGER NOT NULL,
	version        INTEGER NOT NULL,
	tlp            INTEGER NOT NULL,
	producer_org   TEXT NOT NULL,
	producer_user  TEXT NOT NULL,
	has_recipients INTEGER NOT NULL,
	is_first       INTEGER NOT NULL,
	is_last        INTEGER NOT NULL,
	raw            BLOB NOT NULL
);
CREATE UNIQUE INDEX objects_version ON objects (coll, id, vkey);
CREATE INDEX objects_added ON objects (coll, date_added);

-- Named recipients of one object version: kind 0 an organization, 1 a user.
CREATE TABLE recipients (
	date_added INTEGER NOT NULL REFERENCES objects (date_added) ON DELETE CASCADE,
	kind       INTEGER NOT NULL,
	name       TEXT NOT NULL,
	PRIMARY KEY (date_added, kind, name)
) WITHOUT ROWID;

CREATE TABLE statuses (
	sid           INTEGER PRIMARY KEY,
	id            TEXT NOT NULL UNIQUE,
	collection    TEXT NOT NULL,
	user          TEXT NOT NULL,
	requested     INTEGER NOT NULL,
	total         INTEGER NOT NULL,
	success_count INTEGER NOT NULL,
	failure_count INTEGER NOT NULL
);
CREATE INDEX statuses_requested ON statuses (requested);

-- The outcomes one AddObjects call recorded in a status, in order: one row
-- per call rather than per object keeps a 1,000-object POST to one insert.
-- successes is a JSON array of [id, version] and failures of [id, version,
-- message], versions in microseconds.
CREATE TABLE status_details (
	sid       INTEGER NOT NULL REFERENCES statuses (sid) ON DELETE CASCADE,
	seq       INTEGER NOT NULL,
	successes TEXT NOT NULL,
	failures  TEXT NOT NULL,
	PRIMARY KEY (sid, seq)
) WITHOUT ROWID;
