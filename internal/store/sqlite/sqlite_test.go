package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/entente/entente/internal/auth"
	"github.com/entente/entente/internal/stix"
	"github.com/entente/entente/internal/store"
	"github.com/entente/entente/internal/store/storetest"
)

func openTest(t testing.TB, path string) *Store {
	t.Helper()
	s, err := Open(context.Background(), Config{Path: path})
	if err != nil {
		t.Fatalf("Open(%s): %v", path, err)
	}
	return s
}

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store {
		return openTest(t, filepath.Join(t.TempDir(), "entente.db"))
	})
}

func TestDurable(t *testing.T) {
	var path string
	storetest.RunDurable(t,
		func(t *testing.T) store.Store {
			path = filepath.Join(t.TempDir(), "entente.db")
			return openTest(t, path)
		},
		func(t *testing.T) store.Store { return openTest(t, path) })
}

// setUserVersion writes a schema version into a database file, as a newer
// entente would.
func setUserVersion(t *testing.T, path string, v int) {
	t.Helper()
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(fmt.Sprintf("PRAGMA user_version = %d", v)); err != nil {
		t.Fatal(err)
	}
}

func TestOpen(t *testing.T) {
	dir := t.TempDir()
	tooNew := filepath.Join(dir, "new.db")
	s := openTest(t, tooNew)
	s.Close()
	setUserVersion(t, tooNew, SchemaVersion()+5)
	current := filepath.Join(dir, "current.db")
	openTest(t, current).Close()

	tests := []struct {
		name    string
		cfg     Config
		wantErr error  // checked with errors.Is when set
		wantMsg string // substring of the error; "" for success
	}{
		{"no path", Config{}, nil, "Path is required"},
		{"query in path", Config{Path: filepath.Join(dir, "a.db?mode=ro")}, nil, "must not contain"},
		{"missing directory", Config{Path: filepath.Join(dir, "nope", "a.db")}, nil, "open"},
		{"schema too new", Config{Path: tooNew}, store.ErrSchemaTooNew, fmt.Sprintf("version %d, this binary knows up to %d", SchemaVersion()+5, SchemaVersion())},
		{"new file", Config{Path: filepath.Join(dir, "fresh.db")}, nil, ""},
		{"current version", Config{Path: current}, nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := Open(context.Background(), tt.cfg)
			if tt.wantMsg == "" {
				if err != nil {
					t.Fatalf("Open: %v", err)
				}
				defer s.Close()
				var v int
				if err := s.r.QueryRow("PRAGMA user_version").Scan(&v); err != nil || v != SchemaVersion() {
					t.Errorf("user_version = %d, %v; want %d", v, err, SchemaVersion())
				}
				return
			}
			if err == nil {
				s.Close()
				t.Fatal("Open: no error")
			}
			if tt.wantErr != nil && !errors.Is(err, tt.wantErr) {
				t.Errorf("Open: %v; want %v", err, tt.wantErr)
			}
			if !strings.Contains(err.Error(), tt.wantMsg) {
				t.Errorf("Open: %q; want it to mention %q", err, tt.wantMsg)
			}
		})
	}
}

func TestMigrations(t *testing.T) {
	scripts, err := migrations()
	if err != nil || len(scripts) == 0 || SchemaVersion() != len(scripts) {
		t.Fatalf("migrations() = %d scripts, %v; SchemaVersion %d", len(scripts), err, SchemaVersion())
	}
}

// TestClock checks date_added against the injected clock: the clock's time
// when it moves forward, last+1µs when it stalls or goes back.
func TestClock(t *testing.T) {
	ctx := context.Background()
	clock := []time.Time{
		time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC),
		time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC),   // stalled
		time.Date(2026, 5, 1, 11, 0, 0, 0, time.UTC),   // went back
		time.Date(2026, 5, 1, 13, 0, 0, 500, time.UTC), // forward; sub-µs dropped
	}
	want := []time.Time{
		clock[0], clock[0].Add(time.Microsecond),
		clock[0].Add(2 * time.Microsecond), clock[0].Add(3 * time.Microsecond),
		clock[0].Add(4 * time.Microsecond),
		clock[3].Truncate(time.Microsecond),
	}
	var mu sync.Mutex
	tick := 0
	s, err := Open(ctx, Config{Path: filepath.Join(t.TempDir(), "e.db"), Now: func() time.Time {
		mu.Lock()
		defer mu.Unlock()
		tick++
		return clock[min(tick-1, len(clock)-1)]
	}})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	c := store.Collection{ID: "c1", DefaultTLP: stix.TLPClear}
	if err := s.CreateCollection(ctx, c); err != nil {
		t.Fatal(err)
	}
	var got []time.Time
	for i, n := range []int{2, 2, 1, 1} { // one call per clock reading
		if err := s.CreateStatus(ctx, store.Status{ID: fmt.Sprint("st", i), Collection: c.ID, Total: n}); err != nil {
			t.Fatal(err)
		}
		ws := make([]store.Write, n)
		for j := range ws {
			id := fmt.Sprintf("ipv4-addr--%08d-0000-4000-8000-000000000000", len(got)+j)
			ws[j] = store.Write{Object: &stix.Object{Type: "ipv4-addr", ID: id, SpecVersion: "2.1", Raw: []byte(`{}`)}}
		}
		dates, err := s.AddObjects(ctx, c.ID, fmt.Sprint("st", i), ws, nil)
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, dates...)
	}
	for i := range want {
		if i >= len(got) || !got[i].Equal(want[i]) {
			t.Errorf("date_added[%d] = %v; want %v", i, got, want)
			break
		}
	}
}

// TestTwoHandles opens the same file twice, as the admin CLI does while
// the node runs: writes through both stay unique and ordered, and each sees
// the other's.
func TestTwoHandles(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "entente.db")
	a, b := openTest(t, path), openTest(t, path)
	defer a.Close()
	defer b.Close()
	c := store.Collection{ID: "c1", DefaultTLP: stix.TLPClear}
	if err := a.CreateCollection(ctx, c); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Collection(ctx, c.ID); err != nil {
		t.Fatalf("second handle does not see the collection: %v", err)
	}
	var wg sync.WaitGroup
	errs := make([]error, 2)
	for h, s := range []*Store{a, b} {
		wg.Go(func() {
			for i := range 20 {
				st := fmt.Sprintf("st-%d-%d", h, i)
				if errs[h] = s.CreateStatus(ctx, store.Status{ID: st, Collection: c.ID, Total: 5}); errs[h] != nil {
					return
				}
				ws := make([]store.Write, 5)
				for j := range ws {
					id := fmt.Sprintf("ipv4-addr--%08d-0000-4000-8000-%012d", h, i*5+j)
					ws[j] = store.Write{Object: &stix.Object{Type: "ipv4-addr", ID: id, SpecVersion: "2.1", Raw: []byte(`{}`)}}
				}
				if _, errs[h] = s.AddObjects(ctx, c.ID, st, ws, nil); errs[h] != nil {
					return
				}
			}
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	for _, s := range []*Store{a, b} {
		st, err := s.Stats(ctx)
		if err != nil || st.Objects != 200 || st.Bytes <= 0 {
			t.Errorf("Stats = %+v, %v; want 200 objects", st, err)
		}
	}
	if _, err := os.Stat(path + "-wal"); err != nil {
		t.Errorf("no WAL file beside the database: %v", err)
	}
}

// TestDateAddedAfterDelete: with a stopped clock, deleting the newest
// object must not let its date_added be given again.
func TestDateAddedAfterDelete(t *testing.T) {
	ctx := context.Background()
	t0 := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	s, err := Open(ctx, Config{Path: filepath.Join(t.TempDir(), "e.db"), Now: func() time.Time { return t0 }})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	c := store.Collection{ID: "c1", DefaultTLP: stix.TLPClear}
	if err := s.CreateCollection(ctx, c); err != nil {
		t.Fatal(err)
	}
	if err := s.CreateStatus(ctx, store.Status{ID: "st", Collection: c.ID}); err != nil {
		t.Fatal(err)
	}
	add := func(id string) time.Time {
		t.Helper()
		d, err := s.AddObjects(ctx, c.ID, "st", []store.Write{{Object: &stix.Object{Type: "ipv4-addr", ID: id, SpecVersion: "2.1", Raw: []byte(`{}`)}}}, nil)
		if err != nil {
			t.Fatal(err)
		}
		return d[0]
	}
	first := add("ipv4-addr--1")
	if n, err := s.Delete(ctx, c, auth.Viewer{}, "ipv4-addr--1", store.Filter{Versions: store.VersionMatch{All: true}}); n != 1 || err != nil {
		t.Fatalf("Delete = %d, %v; want 1", n, err)
	}
	if second := add("ipv4-addr--2"); !second.Equal(first.Add(time.Microsecond)) {
		t.Errorf("date_added after delete = %v; want %v", second, first.Add(time.Microsecond))
	}
}

// TestStatsBytes: the size reported for /metrics counts the write-ahead
// log as well as the database file.
func TestStatsBytes(t *testing.T) {
	path := filepath.Join(t.TempDir(), "e.db")
	s := openTest(t, path)
	st, err := s.Stats(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	db, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	wal, err := os.Stat(path + "-wal")
	if err != nil {
		t.Fatal(err)
	}
	if wal.Size() == 0 {
		t.Fatal("the migrations left an empty WAL; the test needs one with frames")
	}
	if st.Bytes < db.Size()+wal.Size() {
		t.Errorf("Stats.Bytes = %d, want at least %d (file) + %d (WAL)", st.Bytes, db.Size(), wal.Size())
	}
}
