package trace

import (
	"os/exec"
	"strings"
	"testing"
)

// TestDeps keeps trace a domain package: no storage, no transport.
func TestDeps(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", ".").Output()
	if err != nil {
		t.Skipf("go list: %v", err)
	}
	forbidden := []string{"github.com/entente/entente/internal/", "net/http", "database/sql", "github.com/jackc/pgx", "modernc.org/sqlite"}
	for _, d := range strings.Fields(string(out)) {
		for _, f := range forbidden {
			if strings.HasPrefix(d, f) && d != "github.com/entente/entente/internal/trace" {
				t.Errorf("trace depends on %s", d)
			}
		}
	}
}
