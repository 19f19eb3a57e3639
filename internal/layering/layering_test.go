package layering

import (
	"encoding/json"
	"os/exec"
	"strings"
	"testing"
)

const mod = "github.com/entente/entente/"

// rules: a package (prefix under internal/) and the module packages it must
// not depend on, directly or not.
var rules = []struct {
	pkg       string
	forbidden []string
}{
	{"internal/stix", []string{"internal/store", "internal/taxii", "internal/node", "internal/auth"}},
	{"internal/auth", []string{"internal/store", "internal/taxii", "internal/node"}},
	{"internal/cluster", []string{"internal/store", "internal/taxii", "internal/node", "internal/stix", "internal/auth", "internal/chainindex"}},
	{"internal/attrib", []string{"internal/store", "internal/taxii", "internal/node", "internal/chainindex"}},
	{"internal/trace", []string{"internal/store", "internal/taxii", "internal/node", "internal/chainindex", "internal/attrib/tagfile"}},
	{"internal/chain", []string{"internal/store", "internal/taxii", "internal/node", "internal/stix", "internal/auth"}},
	{"internal/store", []string{"internal/taxii", "internal/node"}},
	{"internal/taxii", []string{"internal/store/sqlite", "internal/store/postgres", "internal/node"}},
}

// Domain packages must also stay off network and database libraries.
var domainForbiddenStd = []string{"net/http", "database/sql", "github.com/jackc/pgx", "modernc.org/sqlite"}

func deps(t *testing.T, pkg string) []string {
	t.Helper()
	out, err := exec.Command("go", "list", "-deps", "-json=ImportPath", "./../../"+pkg).Output()
	if err != nil {
		t.Fatalf("go list %s: %v", pkg, err)
	}
	var ds []string
	dec := json.NewDecoder(strings.NewReader(string(out)))
	for dec.More() {
		var p struct{ ImportPath string }
		if err := dec.Decode(&p); err != nil {
			t.Fatal(err)
		}
		ds = append(ds, p.ImportPath)
	}
	return ds
}

func TestLayering(t *testing.T) {
	for _, r := range rules {
		t.Run(r.pkg, func(t *testing.T) {
			ds := deps(t, r.pkg)
			for _, d := range ds {
				for _, f := range r.forbidden {
					if d == mod+f || strings.HasPrefix(d, mod+f+"/") {
						t.Errorf("%s depends on %s", r.pkg, d)
					}
				}
				if r.pkg == "internal/stix" || r.pkg == "internal/auth" || r.pkg == "internal/chain" || r.pkg == "internal/cluster" ||
					r.pkg == "internal/attrib" || r.pkg == "internal/trace" {
					for _, f := range domainForbiddenStd {
						// database/sql/driver is allowed: uuid implements its Valuer.
						if d == f || (strings.HasPrefix(d, f+"/") && d != "database/sql/driver") {
							t.Errorf("domain package %s depends on %s", r.pkg, d)
						}
					}
				}
			}
		})
	}
}
