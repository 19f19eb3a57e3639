package pgtest

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"testing"

	"github.com/jackc/pgx/v5"
)

func TestStart(t *testing.T) {
	ctx := context.Background()
	var dataDir string
	t.Run("server", func(t *testing.T) {
		url := Start(t)
		conn, err := pgx.Connect(ctx, url)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close(ctx)
		tests := []struct{ setting, want string }{
			{"fsync", "on"},
			{"synchronous_commit", "on"},
			{"listen_addresses", ""},
			{"server_encoding", "UTF8"},
		}
		for _, tt := range tests {
			var got string
			if err := conn.QueryRow(ctx, "SELECT current_setting($1)", tt.setting).Scan(&got); err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("%s = %q; want %q", tt.setting, got, tt.want)
			}
		}
		var db string
		if err := conn.QueryRow(ctx, "SELECT current_database(), current_setting('data_directory')").Scan(&db, &dataDir); err != nil {
			t.Fatal(err)
		}
		if db == "postgres" {
			t.Errorf("Start gave the admin database, not a database of the test's own")
		}
	})
	if dataDir == "" {
		t.Fatal("no data directory")
	}
	if _, err := os.Stat(filepath.Dir(dataDir)); !os.IsNotExist(err) {
		t.Errorf("server directory %s still there after the test: %v", filepath.Dir(dataDir), err)
	}
}

func TestDBIsolation(t *testing.T) {
	ctx := context.Background()
	var s Server
	t.Cleanup(s.Stop)
	a, b := s.DB(t), s.DB(t)
	if a == b {
		t.Fatalf("two DB calls gave the same database %s", a)
	}
	ca, err := pgx.Connect(ctx, a)
	if err != nil {
		t.Fatal(err)
	}
	defer ca.Close(ctx)
	if _, err := ca.Exec(ctx, "CREATE TABLE t (x int)"); err != nil {
		t.Fatal(err)
	}
	cb, err := pgx.Connect(ctx, b)
	if err != nil {
		t.Fatal(err)
	}
	defer cb.Close(ctx)
	var n int
	if err := cb.QueryRow(ctx, "SELECT count(*) FROM pg_tables WHERE tablename = 't'").Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Errorf("a table created in one test database is visible in another")
	}
}

func TestVersionOrder(t *testing.T) {
	dirs := []string{"/usr/lib/postgresql/9.6/bin", "/usr/lib/postgresql/17/bin", "/usr/lib/postgresql/10/bin", "/usr/lib/postgresql/x/bin"}
	sort.Slice(dirs, func(i, j int) bool { return version(dirs[i]) > version(dirs[j]) })
	want := []string{"/usr/lib/postgresql/17/bin", "/usr/lib/postgresql/10/bin", "/usr/lib/postgresql/9.6/bin", "/usr/lib/postgresql/x/bin"}
	if !slices.Equal(dirs, want) {
		t.Errorf("order %v; want %v", dirs, want)
	}
}

// TestReap checks that a server left behind by a dead test binary is
// stopped and removed when the next server starts.
func TestReap(t *testing.T) {
	ctx := context.Background()
	var orphan Server
	url := orphan.DB(t)
	// Pretend its test binary died: a process ID that cannot be running.
	if err := os.WriteFile(filepath.Join(orphan.dir, ownerFile), []byte("2147483646"), 0o644); err != nil {
		t.Fatal(err)
	}
	orphanDir := orphan.dir
	orphan.mu.Lock()
	orphan.dir = "" // forget it, as a killed binary does
	orphan.mu.Unlock()

	var next Server
	t.Cleanup(next.Stop)
	next.DB(t)
	if _, err := os.Stat(orphanDir); !os.IsNotExist(err) {
		t.Errorf("orphan directory %s still there: %v", orphanDir, err)
	}
	if conn, err := pgx.Connect(ctx, url); err == nil {
		conn.Close(ctx)
		t.Errorf("orphan server still accepts connections")
	}
}
