package layering

import (
	"encoding/json"
	"os/exec"
	"strings"
	"testing"
)

const mod = "github.com/entente/entente/"

// Network and database libraries, which domain packages must stay off.
// database/sql/driver is not among them: uuid implements its Valuer.
var ioLibs = []string{"net/http", "database/sql", "github.com/jackc/pgx", "modernc.org/sqlite"}

// concreteStores are what only internal/node and cmd/entente may name.
var concreteStores = []string{"internal/store/sqlite", "internal/store/postgres"}

func join(lists ...[]string) []string {
	var out []string
	for _, l := range lists {
		out = append(out, l...)
	}
	return out
}

// rules: a package and what it must not depend on, directly or not.
// Entries starting with "internal" are packages of this module (and their
// sub-packages); "internal/*" is every module package outside the rule's
// own tree; anything else is an import path prefix.
var rules = []struct {
	pkg       string
	forbidden []string
}{
	// Domain packages.
	{"internal/stix", join(ioLibs, []string{"internal/store", "internal/taxii", "internal/node", "internal/auth"})},
	{"internal/auth", join(ioLibs, []string{"internal/store", "internal/taxii", "internal/node"})},
	{"internal/chain", join(ioLibs, []string{"internal/store", "internal/taxii", "internal/node", "internal/stix", "internal/auth"})},
	{"internal/cluster", join(ioLibs, []string{"internal/store", "internal/taxii", "internal/node", "internal/stix", "internal/auth", "internal/chainindex"})},
	{"internal/attrib", join(ioLibs, []string{"internal/store", "internal/taxii", "internal/node", "internal/chainindex", "internal/attrib/tagfile"})},
	{"internal/trace", join(ioLibs, []string{"internal/*"})},
	// Stores import the domain, never transport.
	{"internal/store", []string{"internal/taxii", "internal/node"}},
	// Transport imports the store contract, never a concrete store.
	{"internal/taxii", join(concreteStores, []string{"internal/node", "database/sql", "github.com/jackc/pgx", "modernc.org/sqlite"})},
	{"internal/btcrpc", []string{"internal/*"}},
	{"internal/follow", join(ioLibs[1:], []string{"internal/store", "internal/taxii", "internal/node", "internal/chainapi"})},
	{"internal/chainlabels", []string{"internal/store", "internal/taxii", "internal/node", "internal/chainapi", "net/http"}},
	{"internal/chainapi", join(concreteStores, []string{"internal/node", "internal/taxii", "database/sql", "github.com/jackc/pgx", "modernc.org/sqlite"})},
}

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

func forbids(pkg, f, d string) bool {
	under := func(p string) bool { return d == p || strings.HasPrefix(d, p+"/") }
	switch {
	case f == "internal/*":
		return strings.HasPrefix(d, mod+"internal/") && !under(mod+pkg)
	case strings.HasPrefix(f, "internal"):
		return under(mod + f)
	default:
		return under(f) && d != "database/sql/driver"
	}
}

func TestLayering(t *testing.T) {
	for _, r := range rules {
		t.Run(r.pkg, func(t *testing.T) {
			for _, d := range deps(t, r.pkg) {
				for _, f := range r.forbidden {
					if forbids(r.pkg, f, d) {
						t.Errorf("%s depends on %s", r.pkg, d)
					}
				}
			}
		})
	}
}
