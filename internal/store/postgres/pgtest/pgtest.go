// Package pgtest runs a real, throwaway PostgreSQL server for tests: initdb
// into a temporary directory, pg_ctl start on a Unix socket in that
// directory (no TCP port to collide on), and pg_ctl stop -m immediate plus
// removal of the directory at the end.
//
// It is not a mock and not a fixture loader: tests get an empty database
// and create what they need through the code under test.
//
// # Use
//
// One server per test binary, one database per test:
//
//	var pg pgtest.Server // shared by the package's tests
//
//	func TestMain(m *testing.M) {
//		code := m.Run()
//		pg.Stop()
//		os.Exit(code)
//	}
//
//	func TestX(t *testing.T) {
//		url := pg.DB(t) // a fresh database, dropped when t ends
//	}
//
// [Start] is the one-off form: its own server, stopped when t ends.
//
// # Finding PostgreSQL
//
// initdb and pg_ctl are taken from $PATH, else from the newest
// /usr/lib/postgresql/*/bin. When they are missing a test is skipped, or
// fails when CI=true: a CI without PostgreSQL would otherwise pass by
// testing nothing. initdb refuses to run as root, so as root the server runs
// as the postgres user (runuser -u postgres), on a directory it owns.
package pgtest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// Server is a PostgreSQL server started on first use. The zero value is
// ready to use; it is safe for concurrent use by parallel tests.
type Server struct {
	mu      sync.Mutex
	started bool
	skip    string // why there is no server, when PostgreSQL is missing
	err     error  // why the server failed to start
	dir     string
	bin     string   // directory of initdb and pg_ctl
	prefix  []string // runs a binary as the server's user
	admin   string   // URL of the postgres database, for CREATE DATABASE
	next    int
}

// Start starts a server of its own for t and returns the URL of an empty
// database on it. The server is stopped and removed when t ends.
func Start(t testing.TB) (url string) {
	t.Helper()
	s := new(Server)
	t.Cleanup(s.Stop)
	return s.DB(t)
}

// DB returns the URL of a new, empty database, starting the server on the
// first call. The database is dropped when t ends.
func (s *Server) DB(t testing.TB) (url string) {
	t.Helper()
	s.mu.Lock()
	if !s.started {
		s.started = true
		s.skip, s.err = s.start()
	}
	skip, err, admin := s.skip, s.err, s.admin
	s.next++
	name := "test_" + strconv.Itoa(s.next)
	s.mu.Unlock()

	switch {
	case skip != "" && os.Getenv("CI") == "true":
		t.Fatalf("pgtest: %s (CI=true: PostgreSQL is required)", skip)
	case skip != "":
		t.Skipf("pgtest: %s", skip)
	case err != nil:
		t.Fatalf("pgtest: %v", err)
	}

	ctx := context.Background()
	if err := exec1(ctx, admin, `CREATE DATABASE `+name); err != nil {
		t.Fatalf("pgtest: create database: %v", err)
	}
	t.Cleanup(func() {
		s.mu.Lock()
		stopped := s.dir == ""
		s.mu.Unlock()
		if stopped { // the whole server is gone already
			return
		}
		// WITH (FORCE) ends connections a failed test left open.
		if err := exec1(context.Background(), admin, `DROP DATABASE IF EXISTS `+name+` WITH (FORCE)`); err != nil {
			t.Errorf("pgtest: drop database: %v", err)
		}
	})
	return strings.Replace(admin, "/postgres?", "/"+name+"?", 1)
}

// Stop stops the server, if it runs, and removes its directory. The
// Server may not be used again.
func (s *Server) Stop() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.dir == "" {
		return
	}
	if s.bin == "" { // initdb never ran
		os.RemoveAll(s.dir)
		s.dir = ""
		return
	}
	// -m immediate: the data is thrown away, so a clean shutdown's
	// checkpoint would only cost time.
	_ = s.run("pg_ctl", "stop", "-m", "immediate", "-D", filepath.Join(s.dir, "data")) // nothing to do about a failure
	os.RemoveAll(s.dir)
	s.dir = ""
}

// Crash stops the server the way a crash would, without a checkpoint
// (pg_ctl stop -m immediate makes every server process quit at once), and
// starts it again, which replays the WAL. Whatever was committed before
// must be there after. Every database of the server goes through the
// crash, so tests that use Crash must not run in parallel with others on
// the same Server. Connections open across the crash are broken: open a
// new pool after it.
func (s *Server) Crash(t testing.TB) {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.dir == "" || s.admin == "" {
		t.Fatal("pgtest: Crash before the server started")
	}
	if err := s.run("pg_ctl", "stop", "-m", "immediate", "-D", filepath.Join(s.dir, "data")); err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	if err := s.startServer(); err != nil {
		t.Fatalf("pgtest: restart after crash: %v", err)
	}
}

// run runs one of the PostgreSQL binaries as the server's user.
func (s *Server) run(name string, args ...string) error {
	argv := append(append(append([]string(nil), s.prefix...), filepath.Join(s.bin, name)), args...)
	cmd := exec.Command(argv[0], argv[1:]...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("%s: %v\n%s", name, err, out.Bytes())
	}
	return nil
}

// start runs initdb and pg_ctl start. It returns a skip reason when
// PostgreSQL is not installed, an error when it is but does not start.
func (s *Server) start() (skip string, err error) {
	bin, err := findBin()
	if err != nil {
		return err.Error(), nil
	}
	var prefix []string
	var owner *user.User
	if os.Geteuid() == 0 {
		owner, err = user.Lookup("postgres")
		if err != nil {
			return "", fmt.Errorf("running as root needs a postgres user to run the server as: %w", err)
		}
		prefix = []string{"runuser", "-u", "postgres", "--"}
	}
	reap(bin, prefix)
	dir, err := os.MkdirTemp("", "pgtest-")
	if err != nil {
		return "", err
	}
	s.dir = dir
	if err := os.WriteFile(filepath.Join(dir, ownerFile), []byte(strconv.Itoa(os.Getpid())), 0o644); err != nil {
		return "", err
	}
	// The server user must reach the directory through its parents and own
	// it; a Unix socket path must stay under ~100 bytes, so this is not
	// t.TempDir, which is long and private to root.
	if err := os.Chmod(dir, 0o755); err != nil {
		return "", err
	}
	if owner != nil {
		uid, _ := strconv.Atoi(owner.Uid)
		gid, _ := strconv.Atoi(owner.Gid)
		if err := os.Chown(dir, uid, gid); err != nil {
			return "", err
		}
	}
	s.bin, s.prefix = bin, prefix
	if err := s.run("initdb", "-D", filepath.Join(dir, "data"), "-U", "postgres", "-A", "trust", "-E", "UTF8", "--no-locale", "--no-sync"); err != nil {
		return "", err
	}
	s.admin = "postgres://postgres@/postgres?host=" + dir + "&sslmode=disable"
	return "", s.startServer()
}

// startServer starts the initialized server and waits until it accepts
// connections.
func (s *Server) startServer() error {
	// fsync stays on: the store's durability is part of what is tested.
	opts := fmt.Sprintf("-c listen_addresses='' -c unix_socket_directories='%s' -c fsync=on -c max_connections=300 -c shared_buffers=32MB", s.dir)
	logFile := filepath.Join(s.dir, "server.log")
	if err := s.run("pg_ctl", "start", "-w", "-t", "60", "-D", filepath.Join(s.dir, "data"), "-l", logFile, "-o", opts); err != nil {
		log, _ := os.ReadFile(logFile)
		return fmt.Errorf("%v\nserver log:\n%s", err, log)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for {
		err := exec1(ctx, s.admin, `SELECT 1`)
		if err == nil {
			return nil
		}
		if ctx.Err() != nil {
			return fmt.Errorf("server not ready: %w", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// ownerFile, in a server's directory, holds the process ID of the test
// binary that started it.
const ownerFile = "owner.pid"

// reap stops and removes the servers of test binaries that died without
// cleaning up (killed, or ended by go test -timeout): they would otherwise
// run, and fill the disk, forever.
func reap(bin string, prefix []string) {
	dirs, _ := filepath.Glob(filepath.Join(os.TempDir(), "pgtest-*"))
	for _, dir := range dirs {
		b, err := os.ReadFile(filepath.Join(dir, ownerFile))
		if err != nil {
			continue // not ours, or still being set up
		}
		pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
		if err != nil || pid <= 0 || alive(pid) {
			continue
		}
		data := filepath.Join(dir, "data")
		if _, err := os.Stat(filepath.Join(data, "postmaster.pid")); err == nil {
			dead := &Server{bin: bin, prefix: prefix}
			_ = dead.run("pg_ctl", "stop", "-m", "immediate", "-D", data)
		}
		os.RemoveAll(dir)
	}
}

// alive reports whether a process exists (signal 0 checks without
// sending; EPERM means it exists under another user).
func alive(pid int) bool {
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}

// findBin returns the directory holding initdb and pg_ctl.
func findBin() (string, error) {
	if p, err := exec.LookPath("initdb"); err == nil {
		if real, err := filepath.EvalSymlinks(p); err == nil {
			p = real
		}
		dir := filepath.Dir(p)
		if _, err := os.Stat(filepath.Join(dir, "pg_ctl")); err == nil {
			return dir, nil
		}
	}
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	// Newest major version first: 9.6 < 10 < 17.
	sort.Slice(dirs, func(i, j int) bool { return version(dirs[i]) > version(dirs[j]) })
	for _, d := range dirs {
		if _, err := os.Stat(filepath.Join(d, "initdb")); err == nil {
			return d, nil
		}
	}
	return "", errors.New("PostgreSQL not found: no initdb on $PATH or in /usr/lib/postgresql/*/bin")
}

func version(binDir string) float64 {
	v, _ := strconv.ParseFloat(filepath.Base(filepath.Dir(binDir)), 64)
	return v
}

// exec1 runs one statement on a short-lived connection.
func exec1(ctx context.Context, url, sql string) error {
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		return err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	_, err = conn.Exec(ctx, sql)
	return err
}
