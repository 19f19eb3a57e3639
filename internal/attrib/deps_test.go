package attrib

import (
	"os/exec"
	"strings"
	"testing"
)

// TestDomainImports keeps attrib a domain package: no storage, transport
// or index (tailscale's deptest). internal/layering holds the same rules
// for the other packages.
func TestDomainImports(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "-f", "{{.ImportPath}}", ".").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	forbidden := []string{
		"github.com/entente/entente/internal/attrib/tagfile", "github.com/entente/entente/internal/chainindex",
		"github.com/entente/entente/internal/store", "github.com/entente/entente/internal/taxii",
		"github.com/entente/entente/internal/node", "net/http", "database/sql",
	}
	for _, d := range strings.Fields(string(out)) {
		for _, f := range forbidden {
			if d == f || strings.HasPrefix(d, f+"/") {
				t.Errorf("attrib depends on %s", d)
			}
		}
	}
}
