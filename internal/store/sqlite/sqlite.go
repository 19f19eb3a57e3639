// Package sqlite is the embedded storage of an Entente node: a
// [store.Store] in one SQLite database file, through the pure-Go
// modernc.org/sqlite driver, so the node stays a single static binary.
//
// It is not a general SQLite wrapper and holds no policy of its own: the
// TLP rule it applies in SQL is auth.CanRead, and the conformance suite in
// store/storetest checks that the two agree.
//
// # Connections and durability
//
// The database runs in WAL mode with synchronous=FULL, so a write method
// returns only once its transaction is in the fsynced log. Writes go through
// one connection and a mutex (SQLite has one writer anyway; queuing in Go
// avoids busy retries), and each write transaction starts with BEGIN
// IMMEDIATE so that another process on the same file (an admin command while
// the node runs) waits on busy_timeout instead of failing. Reads use a pool
// of query_only connections that WAL lets run beside the writer.
//
// # Schema
//
// The schema lives in numbered files under migrations/, applied in order at
// [Open]; PRAGMA user_version records how many have run. A database whose
// version is higher than this binary knows is refused with
// [store.ErrSchemaTooNew]. Times are stored as microseconds since the Unix
// epoch. An object version's date_added is its rowid; the layout, with a
// worked example, is described in migrations/0001_init.sql.
//
// # Filters
//
// Every stored object is STIX 2.1, so an empty Filter.SpecVersions ("the
// latest spec_version of each object") is no filter. List filters (ids,
// types, versions, a viewer's ClientOf) travel as one JSON array parameter,
// so their length never changes the SQL text or hits a parameter limit.
// A page holds at most 100,000 entries whatever Filter.Limit asks; More is
// then set.
//
// # TLP in SQL
//
// Query and Delete push the TLP rule into the WHERE clause, with the
// viewer's attributes as parameters and the collection's default applied to
// unmarked rows, so that LIMIT, and so Page.More, is exact and a page is one
// index range scan.
//
// # Performance
//
// On the project's 2-core test machine (shared, so figures vary by about
// a third), BenchmarkAddObjects ingests bundles of 1,000 indicators of
// ~670 bytes at 40,000 objects/s into an empty store and 60,000 into one
// holding a million; BenchmarkQueryPage reads pages of 1,000 with raw at
// 170,000-220,000 objects/s over 100,000 objects and 145,000-220,000 over
// a million. Ingest is one lookup query and multi-row INSERTs per bundle;
// reads go through mmap (see [Open]).
package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"sync"
	"time"

	_ "modernc.org/sqlite" // registers the "sqlite" driver

	"github.com/entente/entente/internal/store"
)

// Config configures [Open].
type Config struct {
	// Path is the database file, e.g. DIR/entente.db; required. It is
	// created, with its schema, if missing. SQLite keeps DIR/entente.db-wal
	// and -shm beside it.
	Path string
	// Logger receives migrations and slow operations; optional, default
	// discards.
	Logger *slog.Logger
	// Now gives date_added; optional, default time.Now.
	Now func() time.Time
	// Readers is the number of read connections; optional, default 4.
	Readers int
}

// Store is a [store.Store] in a SQLite file. Its methods are safe for
// concurrent use.
type Store struct {
	path string // the database file
	log  *slog.Logger
	now  func() time.Time
	r    *sql.DB // query_only pool
	w    *sql.DB // the one write connection

	wmu sync.Mutex // serializes write transactions
	ws  writeStmts

	smu   sync.Mutex
	stmts map[string]*sql.Stmt // prepared reads, by SQL text; few shapes exist
}

var _ store.Store = (*Store)(nil)

// Pragmas of every connection. busy_timeout comes first so the others wait
// for a lock rather than fail when another process holds it.
const commonPragmas = "_pragma=busy_timeout(10000)&_pragma=foreign_keys(1)&_pragma=temp_store(memory)"

// Open opens (creating if needed) and migrates the database at cfg.Path.
func Open(ctx context.Context, cfg Config) (*Store, error) {
	if cfg.Path == "" {
		return nil, errors.New("sqlite: Config.Path is required")
	}
	if strings.ContainsAny(cfg.Path, "?#") {
		return nil, fmt.Errorf("sqlite: database path %q must not contain '?' or '#'", cfg.Path)
	}
	s := &Store{path: cfg.Path, log: cfg.Logger, now: cfg.Now, stmts: map[string]*sql.Stmt{}}
	if s.log == nil {
		s.log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if s.now == nil {
		s.now = time.Now
	}
	readers := cfg.Readers
	if readers <= 0 {
		readers = 4
	}

	// page_size only takes effect before the first table exists; 8 KiB
	// pages hold more ~500-byte objects each. The writer's 32 MiB cache
	// keeps the hot part of the id index; a larger one measured no faster.
	w, err := sql.Open("sqlite", cfg.Path+"?_txlock=immediate&"+commonPragmas+
		"&_pragma=page_size(8192)&_pragma=journal_mode(WAL)&_pragma=synchronous(FULL)&_pragma=cache_size(-32768)")
	if err != nil {
		return nil, fmt.Errorf("sqlite: open %s: %w", cfg.Path, err)
	}
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxLifetime(0)
	w.SetConnMaxIdleTime(0)
	s.w = w
	if err := s.migrate(ctx); err != nil {
		w.Close()
		return nil, err
	}
	if err := s.ws.prepare(ctx, w); err != nil {
		w.Close()
		return nil, err
	}

	// Readers map the file (up to SQLite's 2 GiB build limit) instead of
	// copying pages into a per-connection cache: paged reads measured twice
	// as fast. The price is that an I/O error on the file becomes SIGBUS.
	r, err := sql.Open("sqlite", cfg.Path+"?"+commonPragmas+
		"&_pragma=query_only(1)&_pragma=cache_size(-8192)&_pragma=mmap_size(2147418112)")
	if err != nil {
		s.ws.close()
		w.Close()
		return nil, fmt.Errorf("sqlite: open %s: %w", cfg.Path, err)
	}
	r.SetMaxOpenConns(readers)
	r.SetMaxIdleConns(readers)
	r.SetConnMaxIdleTime(0)
	s.r = r
	return s, nil
}

// Close closes the database. The Store must not be used afterwards.
func (s *Store) Close() error {
	s.smu.Lock()
	for _, st := range s.stmts {
		st.Close()
	}
	s.stmts = nil
	s.smu.Unlock()
	s.wmu.Lock()
	defer s.wmu.Unlock()
	s.ws.close()
	return errors.Join(s.r.Close(), s.w.Close())
}

// Stats counts stored object versions and the database's size on disk.
func (s *Store) Stats(ctx context.Context) (store.Stats, error) {
	var st store.Stats
	err := s.r.QueryRowContext(ctx,
		`SELECT (SELECT COUNT(*) FROM objects), (SELECT page_count * page_size FROM pragma_page_count(), pragma_page_size())`,
	).Scan(&st.Objects, &st.Bytes)
	if err != nil {
		return store.Stats{}, fmt.Errorf("sqlite: stats: %w", err)
	}
	// The write-ahead log is on disk too, up to a checkpoint's worth.
	if fi, err := os.Stat(s.path + "-wal"); err == nil {
		st.Bytes += fi.Size()
	}
	return st, nil
}

// write runs fn in a write transaction, committed only if fn succeeds.
func (s *Store) write(ctx context.Context, fn func(tx *sql.Tx) error) error {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("sqlite: begin: %w", err)
	}
	if err := fn(tx); err != nil {
		tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("sqlite: commit: %w", err)
	}
	return nil
}

// maxStmts bounds the cache of prepared reads. Query shapes depend on which
// filters are present, the viewer's flags and the collection default: a
// few dozen in practice, thousands in theory.
const maxStmts = 128

// query runs a read through a prepared statement cached by its text, or
// unprepared once the cache is full.
func (s *Store) query(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	s.smu.Lock()
	if s.stmts == nil {
		s.smu.Unlock()
		return nil, errors.New("sqlite: store is closed")
	}
	st, ok := s.stmts[query]
	if !ok && len(s.stmts) < maxStmts {
		var err error
		if st, err = s.r.PrepareContext(ctx, query); err != nil {
			s.smu.Unlock()
			return nil, err
		}
		s.stmts[query] = st
	}
	s.smu.Unlock()
	if st == nil {
		return s.r.QueryContext(ctx, query, args...)
	}
	return st.QueryContext(ctx, args...)
}

// micros and fromMicros convert times to and from the stored form; the zero
// time is stored as 0.
func micros(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMicro()
}

func fromMicros(us int64) time.Time {
	if us == 0 {
		return time.Time{}
	}
	return time.UnixMicro(us).UTC()
}
