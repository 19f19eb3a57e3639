package postgres_test

import (
	"context"
	"crypto/rand"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/entente/entente/internal/auth"
	"github.com/entente/entente/internal/stix"
	"github.com/entente/entente/internal/store"
	"github.com/entente/entente/internal/store/postgres"
	"github.com/entente/entente/internal/store/storetest"
)

func open(t testing.TB, url string, now func() time.Time) *postgres.Store {
	t.Helper()
	s, err := postgres.Open(context.Background(), postgres.Config{URL: url, Now: now})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	return s
}

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store { return open(t, postgres.NewTestDB(t), nil) })
}

func TestDurable(t *testing.T) {
	var url string
	storetest.RunDurable(t,
		func(t *testing.T) store.Store { url = postgres.NewTestDB(t); return open(t, url, nil) },
		func(t *testing.T) store.Store { return open(t, url, nil) })
}

// TestCrash checks that what AddObjects acknowledged survives the server
// crashing: the commit was in the WAL, flushed, before it returned.
func TestCrash(t *testing.T) {
	var url string
	storetest.RunDurable(t,
		func(t *testing.T) store.Store { url = postgres.NewTestDB(t); return open(t, url, nil) },
		func(t *testing.T) store.Store { postgres.CrashTestServer(t); return open(t, url, nil) })
}

func TestOpen(t *testing.T) {
	ctx := context.Background()
	url := postgres.NewTestDB(t)
	tooNew := postgres.NewTestDB(t)
	// A database migrated by a newer binary.
	s := open(t, tooNew, nil)
	s.Close()
	conn, err := pgx.Connect(ctx, tooNew)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := conn.Exec(ctx, `INSERT INTO schema_version (version) VALUES (999)`); err != nil {
		t.Fatal(err)
	}
	conn.Close(ctx)

	tests := []struct {
		name    string
		cfg     postgres.Config
		wantErr error  // checked with errors.Is, when set
		wantMsg string // a substring of the error, when set
	}{
		{"fresh database", postgres.Config{URL: url}, nil, ""},
		{"already migrated", postgres.Config{URL: url}, nil, ""},
		{"no URL", postgres.Config{}, nil, "URL is required"},
		{"bad URL", postgres.Config{URL: "postgres://u:secret@[::1"}, nil, "invalid Config.URL"},
		{"schema too new", postgres.Config{URL: tooNew}, store.ErrSchemaTooNew, "999"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := postgres.Open(ctx, tt.cfg)
			if s != nil {
				defer s.Close()
			}
			if tt.wantErr == nil && tt.wantMsg == "" {
				if err != nil {
					t.Fatalf("Open: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatal("Open: no error")
			}
			if tt.wantErr != nil && !errors.Is(err, tt.wantErr) {
				t.Errorf("Open: %v; want %v", err, tt.wantErr)
			}
			if !strings.Contains(err.Error(), tt.wantMsg) {
				t.Errorf("Open: %q; want it to mention %q", err, tt.wantMsg)
			}
			if strings.Contains(err.Error(), "secret") {
				t.Errorf("Open error %q leaks the password", err)
			}
		})
	}
}

// TestDateAddedClock checks max(now, last+1µs) against a clock that stands
// still, goes back, and jumps ahead, across calls and across reopening.
func TestDateAddedClock(t *testing.T) {
	ctx := context.Background()
	url := postgres.NewTestDB(t)
	base := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	clock := base
	s := open(t, url, func() time.Time { return clock })
	c := setup(t, s)

	tests := []struct {
		name  string
		clock time.Time
		n     int
		want  []time.Time
	}{
		{"now", base, 2, []time.Time{base, base.Add(time.Microsecond)}},
		{"clock stands still", base, 1, []time.Time{base.Add(2 * time.Microsecond)}},
		{"clock goes back", base.Add(-time.Hour), 1, []time.Time{base.Add(3 * time.Microsecond)}},
		{"clock jumps", base.Add(time.Second + 1500*time.Nanosecond), 1, []time.Time{base.Add(time.Second + time.Microsecond)}},
		{"reopened, clock back", base, 1, []time.Time{base.Add(time.Second + 2*time.Microsecond)}},
	}
	id := 0
	for _, tt := range tests {
		if strings.HasPrefix(tt.name, "reopened") {
			s.Close()
			s = open(t, url, func() time.Time { return clock })
		}
		clock = tt.clock
		var ws []store.Write
		for range tt.n {
			id++
			ws = append(ws, write(id, stix.TLPClear, "org1", "u1"))
		}
		got, err := s.AddObjects(ctx, c.ID, newStatus(t, s, c), ws, nil)
		if err != nil {
			t.Fatalf("%s: AddObjects: %v", tt.name, err)
		}
		for i := range got {
			if !got[i].Equal(tt.want[i]) {
				t.Errorf("%s: date_added[%d] = %v; want %v", tt.name, i, got[i], tt.want[i])
			}
		}
	}
	s.Close()
}

func setup(t testing.TB, s *postgres.Store) store.Collection {
	t.Helper()
	ctx := context.Background()
	if err := s.CreateOrg(ctx, auth.Org{Name: "org1", Kind: auth.KindMember, Created: time.Now()}); err != nil {
		t.Fatal(err)
	}
	if err := s.CreateUser(ctx, auth.User{Name: "u1", Org: "org1", Role: auth.RoleAnalyst, Created: time.Now()}); err != nil {
		t.Fatal(err)
	}
	c := store.Collection{ID: "91a7b528-80eb-42ed-a74d-c6fbd5a26116", Title: "bench", ReadOrgs: []string{"*"},
		WriteOrgs: []string{"*"}, DefaultTLP: stix.TLPGreen, Created: time.Now()}
	if err := s.CreateCollection(ctx, c); err != nil {
		t.Fatal(err)
	}
	return c
}

func newStatus(t testing.TB, s *postgres.Store, c store.Collection) string {
	t.Helper()
	id := "status-" + rand.Text()
	if err := s.CreateStatus(context.Background(), store.Status{ID: id, Collection: c.ID, User: "u1", RequestTimestamp: time.Now(), Total: 1}); err != nil {
		t.Fatal(err)
	}
	return id
}
