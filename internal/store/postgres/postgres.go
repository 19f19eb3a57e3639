// Package postgres is the PostgreSQL implementation of the storage contract
// in package store, for nodes that outgrow the embedded SQLite store or that
// want an operated, replicated database.
//
// It is not a general STIX database: it stores what the TAXII server needs,
// in the shape the TAXII server asks for it, and nothing else. It needs
// PostgreSQL 13 or newer and talks to it with pgx.
//
// # Ordering
//
// Every AddObjects transaction first locks the one row of the clock table
// (SELECT ... FOR UPDATE). Writers therefore commit one after another, and
// each assigns date_added = max(now, last+1µs) from the value stored in that
// row, which makes date_added unique and strictly increasing in commit
// order, as package store requires. Readers never take the lock.
//
// # Durability
//
// Every connection runs with synchronous_commit=on, so a commit returns only
// once its WAL is flushed (and, on a replicated server, acknowledged as the
// server's synchronous_standby_names demand).
//
// # Storage
//
// Raw objects are stored as bytea, never jsonb: the node serves the exact
// bytes it accepted, and jsonb would reorder keys and drop duplicates. Times
// are timestamptz, microsecond precision; date_added is a bigint count of
// microseconds since the Unix epoch because it is the key of every page.
//
// A page is one walk of the (collection_id, date_added) index with a
// filter on each row, so that LIMIT and More are exact and a page costs the
// same on the first and the millionth object:
//
//   - the TLP 2.0 rule of [auth.CanRead] is written again in SQL (tlp.go),
//     with the collection default applied to unmarked rows;
//   - match[version] first and last, and the default "latest spec_version",
//     read three flags per row (is_first, is_last, latest_spec) that
//     AddObjects and Delete keep up to date under the writers' lock, rather
//     than a join per row.
//
// The store runs ANALYZE on the objects table each time it has doubled:
// without statistics after a bulk import, the planner would sort a whole
// collection for each page.
//
// # Schema versions
//
// Migrations are embedded SQL files, migrations/NNNN_name.sql, applied in
// order by [Open] in one transaction under an advisory lock; the schema_version
// table records the highest one applied. A database whose version is higher
// than the binary knows is refused with an error wrapping
// [store.ErrSchemaTooNew].
package postgres

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/entente/entente/internal/store"
)

// Config configures [Open].
type Config struct {
	// URL is the database to use, required: a postgres:// URL or a libpq
	// keyword/value string, as pgx accepts.
	URL string
	// Logger receives migrations and slow-path notes. Optional; default
	// discards.
	Logger *slog.Logger
	// Now is the clock date_added is taken from. Optional; default
	// time.Now.
	Now func() time.Time
	// MaxConns caps the connection pool. Optional; default pgxpool's
	// (the larger of 4 and the number of CPUs).
	MaxConns int32
}

// Store is a [store.Store] on a PostgreSQL database.
type Store struct {
	pool *pgxpool.Pool
	log  *slog.Logger
	now  func() time.Time
	// analyzed is the object count when the store last ran ANALYZE, or
	// when it opened; see maybeAnalyze.
	analyzed atomic.Int64
}

var _ store.Store = (*Store)(nil)

// Open connects to the database in cfg.URL, brings its schema up to date and
// returns the store. The caller must Close it.
func Open(ctx context.Context, cfg Config) (*Store, error) {
	if cfg.URL == "" {
		return nil, errors.New("postgres: Config.URL is required")
	}
	pc, err := pgxpool.ParseConfig(cfg.URL)
	if err != nil {
		// The parse error may quote the URL, password included.
		return nil, errors.New("postgres: invalid Config.URL: " + redact(err))
	}
	// Durability is part of the contract: never trust the server default.
	pc.ConnConfig.RuntimeParams["synchronous_commit"] = "on"
	pc.ConnConfig.RuntimeParams["timezone"] = "UTC"
	if cfg.MaxConns > 0 {
		pc.MaxConns = cfg.MaxConns
	}
	pool, err := pgxpool.NewWithConfig(ctx, pc)
	if err != nil {
		return nil, fmt.Errorf("postgres: connect: %w", err)
	}
	s := &Store{pool: pool, log: cfg.Logger, now: cfg.Now}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.now == nil {
		s.now = time.Now
	}
	if err := s.migrate(ctx); err != nil {
		pool.Close()
		return nil, err
	}
	st, err := s.Stats(ctx)
	if err != nil {
		pool.Close()
		return nil, err
	}
	s.analyzed.Store(st.Objects)
	return s, nil
}

// redact keeps the kind of a connection-string error without its text,
// which pgconn builds from the string itself.
func redact(err error) string {
	var pe *pgconn.ParseConfigError
	if errors.As(err, &pe) {
		return "cannot parse connection string"
	}
	return err.Error()
}

// Close releases the connections.
func (s *Store) Close() error {
	s.pool.Close()
	return nil
}

// Stats reports the object count kept in the clock row and the size of the
// database.
func (s *Store) Stats(ctx context.Context) (store.Stats, error) {
	var st store.Stats
	err := s.pool.QueryRow(ctx,
		`SELECT objects, pg_database_size(current_database()) FROM clock WHERE id = 1`,
	).Scan(&st.Objects, &st.Bytes)
	if err != nil {
		return store.Stats{}, fmt.Errorf("postgres: stats: %w", err)
	}
	return st, nil
}

// inTx runs fn in a transaction and commits it, rolling back on any error.
func (s *Store) inTx(ctx context.Context, fn func(tx pgx.Tx) error) error {
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback(context.WithoutCancel(ctx)) //nolint:errcheck // no-op after Commit
	if err := fn(tx); err != nil {
		return err
	}
	return tx.Commit(ctx)
}

// SQLSTATE codes the store maps to store errors.
const (
	codeUniqueViolation     = "23505"
	codeForeignKeyViolation = "23503"
)

func isCode(err error, code string) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && pe.Code == code
}

// utc normalizes a time read from the database; the zero time stays zero.
func utc(t time.Time) time.Time {
	if t.IsZero() {
		return time.Time{}
	}
	return t.UTC()
}

// nullTime stores the zero time as NULL.
func nullTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

func fromNull(t *time.Time) time.Time {
	if t == nil {
		return time.Time{}
	}
	return t.UTC()
}

// nonNil keeps NOT NULL array columns fed with '{}' rather than NULL.
func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
