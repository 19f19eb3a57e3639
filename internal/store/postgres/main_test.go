package postgres

import (
	"os"
	"testing"

	"github.com/entente/entente/internal/store/postgres/pgtest"
)

// testPG is the one server of this test binary; each test gets a database.
var testPG pgtest.Server

func TestMain(m *testing.M) {
	code := m.Run()
	testPG.Stop()
	os.Exit(code)
}

// NewTestDB gives the external tests (package postgres_test) a fresh
// database on the shared server; it exists only in test builds.
func NewTestDB(t testing.TB) string { return testPG.DB(t) }

// CrashTestServer crashes and restarts the shared server; see
// pgtest.Server.Crash.
func CrashTestServer(t testing.TB) { testPG.Crash(t) }
