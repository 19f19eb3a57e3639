package chainapi

import (
	"os/exec"
	"strings"
	"testing"
)

// TestDeps keeps chainapi a transport: it names no concrete store and
// does not reach back into the assembling package.
func TestDeps(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", ".").Output()
	if err != nil {
		t.Skipf("go list: %v", err)
	}
	// database/sql/driver is allowed: the store's types implement it.
	forbidden := []string{"github.com/entente/entente/internal/store/", "github.com/entente/entente/internal/node",
		"github.com/entente/entente/internal/taxii", "github.com/jackc/pgx", "modernc.org/sqlite"}
	for _, d := range strings.Fields(string(out)) {
		if d == "database/sql" {
			t.Errorf("chainapi depends on %s", d)
		}
		for _, f := range forbidden {
			if strings.HasPrefix(d, f) {
				t.Errorf("chainapi depends on %s", d)
			}
		}
	}
}
