-- Entente PostgreSQL schema, version 1. Applied once, inside the migration
-- transaction; never edit a released migration, add the next file instead.

CREATE TABLE orgs (
	name      text PRIMARY KEY,
	kind      text NOT NULL,
	client_of text[] NOT NULL DEFAULT '{}',
	created   timestamptz NOT NULL
);

CREATE TABLE users (
	name    text PRIMARY KEY,
	org     text NOT NULL REFERENCES orgs (name),
	role    text NOT NULL,
	created timestamptz NOT NULL
);

CREATE TABLE tokens (
	id        text PRIMARY KEY,
	user_name text NOT NULL REFERENCES users (name),
	hash      bytea NOT NULL UNIQUE CHECK (length(hash) = 32),
	created   timestamptz NOT NULL,
	expires   timestamptz,            -- NULL: never
	revoked   boolean NOT NULL DEFAULT false
);
CREATE INDEX tokens_user ON tokens (user_name);

CREATE TABLE collections (
	id          text PRIMARY KEY,
	title       text NOT NULL,
	description text NOT NULL,
	read_orgs   text[] NOT NULL DEFAULT '{}',
	write_orgs  text[] NOT NULL DEFAULT '{}',
	recipients  text[] NOT NULL DEFAULT '{}',
	default_tlp smallint NOT NULL,
	created     timestamptz NOT NULL
);

-- clock is the single row every writer locks (SELECT ... FOR UPDATE): it
-- serializes AddObjects so that date_added follows commit order, and keeps
-- the last date_added and the object count so neither needs a scan.
CREATE TABLE clock (
	id      integer PRIMARY KEY CHECK (id = 1),
	last_us bigint NOT NULL,  -- last date_added given, µs since the Unix epoch
	objects bigint NOT NULL   -- rows in objects
);
INSERT INTO clock (id, last_us, objects) VALUES (1, 0, 0);

-- objects holds one row per stored object version. date_added is unique
-- across the store, so it is the key. raw is bytea, not jsonb: the node
-- serves the exact bytes it accepted, and jsonb would reorder keys.
CREATE TABLE objects (
	date_added_us   bigint PRIMARY KEY,
	collection_id   text NOT NULL REFERENCES collections (id),
	object_id       text NOT NULL,
	type            text NOT NULL,
	spec_version    text NOT NULL,
	modified        timestamptz,          -- NULL: unversioned, one row per object
	version         timestamptz NOT NULL, -- modified, else created, else date_added
	tlp             smallint NOT NULL,    -- 0: unmarked, the collection default applies
	producer_org    text NOT NULL,
	producer_user   text NOT NULL,
	recipient_orgs  text[] NOT NULL DEFAULT '{}',
	recipient_users text[] NOT NULL DEFAULT '{}',
	raw             bytea NOT NULL,
	-- Whether this row is the first and the last version of its object in
	-- the collection (by version, then date_added), and whether it has the
	-- object's latest spec_version. Kept by the writers, under the clock
	-- lock, so that a page is a plain index walk with no join.
	is_first        boolean NOT NULL,
	is_last         boolean NOT NULL,
	latest_spec     boolean NOT NULL
);
CREATE INDEX objects_page ON objects (collection_id, date_added_us);
CREATE INDEX objects_object ON objects (collection_id, object_id, version);
CREATE UNIQUE INDEX objects_versioned ON objects (collection_id, object_id, modified)
	WHERE modified IS NOT NULL;
CREATE UNIQUE INDEX objects_unversioned ON objects (collection_id, object_id)
	WHERE modified IS NULL;

CREATE TABLE statuses (
	id                text PRIMARY KEY,
	collection_id     text NOT NULL,
	user_name         text NOT NULL,
	request_timestamp timestamptz NOT NULL,
	total             integer NOT NULL,
	success_count     integer NOT NULL DEFAULT 0,
	failure_count     integer NOT NULL DEFAULT 0
);
CREATE INDEX statuses_requested ON statuses (request_timestamp);

CREATE TABLE status_details (
	status_id text NOT NULL REFERENCES statuses (id) ON DELETE CASCADE,
	seq       integer NOT NULL,  -- order within the status, successes and failures alike
	success   boolean NOT NULL,
	object_id text NOT NULL,
	version   timestamptz,       -- NULL: none given
	message   text NOT NULL,
	PRIMARY KEY (status_id, seq)
);
