package demo

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/entente/entente/internal/auth"
	"github.com/entente/entente/internal/stix"
	"github.com/entente/entente/internal/store"
	"github.com/entente/entente/internal/store/sqlite"
)

func openStore(t *testing.T) store.Store {
	t.Helper()
	st, err := sqlite.Open(t.Context(), sqlite.Config{Path: filepath.Join(t.TempDir(), "entente.db")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// readAll pages through everything v may read in a collection.
func readAll(t *testing.T, st store.Store, c store.Collection, v auth.Viewer) []store.Entry {
	t.Helper()
	var all []store.Entry
	f := store.Filter{Limit: 1000}
	for {
		p, err := st.Query(t.Context(), c, v, f, true)
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, p.Entries...)
		if !p.More || len(p.Entries) == 0 {
			return all
		}
		f.AddedAfter = p.Entries[len(p.Entries)-1].DateAdded
	}
}

func TestSeed(t *testing.T) {
	ctx := t.Context()
	st := openStore(t)
	now := time.Date(2026, 11, 22, 20, 0, 0, 0, time.UTC)
	res, err := Seed(ctx, st, now, nil)
	if err != nil {
		t.Fatal(err)
	}
	fams, err := parseGalaxy(ransomwareJSON)
	if err != nil {
		t.Fatal(err)
	}
	addrs := bitcoinAddresses(sanctionedXBT)

	if !res.Seeded || res.Orgs != len(orgs) || res.Users != len(users) || res.Collections != 3 {
		t.Errorf("Result = %+v", res)
	}
	// Families and wallets (3 objects per address) are nearly all there:
	// real data, but only what stix.Parse refuses may be left out.
	if min := len(fams) + 3*len(addrs); res.Objects < min*99/100 || res.Skipped > min/100 {
		t.Errorf("Objects = %d, Skipped = %d; want about %d", res.Objects, res.Skipped, min)
	}
	if len(fams) < 2000 || len(addrs) < 400 {
		t.Errorf("embedded data: %d families, %d addresses", len(fams), len(addrs))
	}

	// The admin token works, once, for the admin.
	tok, err := st.TokenByHash(ctx, auth.HashToken(res.Token))
	if err != nil || tok.User != res.Admin || tok.Check(res.Token, now) != nil {
		t.Errorf("admin token: %+v, %v", tok, err)
	}
	if u, err := st.User(ctx, res.Admin); err != nil || u.Role != auth.RoleAdmin {
		t.Errorf("admin user: %+v, %v", u, err)
	}

	// Every stored object is valid STIX, and the count adds up.
	insider := auth.Viewer{User: "de-analyst", Org: "de-bka", Community: true, InAudience: true}
	outsider := auth.Viewer{User: "fr-analyst", Org: "fr-ofac", Community: true}
	exchange := auth.Viewer{User: "harbour-compliance", Org: "harbour-exchange", ClientOf: []string{"nl-nhtcu"}}
	cs, err := st.Collections(ctx)
	if err != nil {
		t.Fatal(err)
	}
	total := 0
	types := map[string]int{}
	for _, c := range cs {
		if res.CollectionIDs[c.Title] != c.ID {
			t.Errorf("collection %q not in Result.CollectionIDs", c.Title)
		}
		entries := readAll(t, st, c, insider)
		total += len(entries)
		for _, e := range entries {
			o, err := stix.Parse(e.Raw)
			if err != nil {
				t.Fatalf("%s in %q: %v", e.ID, c.Title, err)
			}
			types[o.Type]++
		}
		// TLP applies: outsiders see less than insiders.
		switch c.Title {
		case RansomwareFamilies:
			if seen := len(readAll(t, st, c, exchange)); seen == 0 || seen >= len(entries) {
				t.Errorf("%q: exchange sees %d of %d; want the CLEAR share only", c.Title, seen, len(entries))
			}
		case CaseCollection:
			// Only the two CLEAR identities; everything else is AMBER+STRICT.
			if seen := len(readAll(t, st, c, outsider)); seen != 2 {
				t.Errorf("%q: a member outside the case sees %d objects, want 2", c.Title, seen)
			}
		}
	}
	if total != res.Objects {
		t.Errorf("stored %d objects, Result says %d", total, res.Objects)
	}
	if types["malware"] < len(fams)*99/100 || types["indicator"] < len(addrs)*99/100 ||
		types["cryptocurrency-wallet"] == 0 || types["relationship"] == 0 || types["identity"] < len(orgs) || types["report"] != 1 {
		t.Errorf("object types: %v", types)
	}

	// Seeding again changes nothing.
	before, err := st.Stats(ctx)
	if err != nil {
		t.Fatal(err)
	}
	again, err := Seed(ctx, st, now.Add(time.Hour), nil)
	if err != nil || again.Seeded || again.Token != "" {
		t.Fatalf("second Seed: %+v, %v", again, err)
	}
	after, _ := st.Stats(ctx)
	if after.Objects != before.Objects {
		t.Errorf("second Seed changed the object count from %d to %d", before.Objects, after.Objects)
	}
}

func TestLooksBitcoin(t *testing.T) {
	tests := []struct {
		addr string
		want bool
	}{
		{"123WBUDmSJv4GctdVEz6Qq6z8nXSKrJ4KX", true},
		{"3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy", true},
		{"bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq", true},
		{"TXmVthgn6Zz8JCWMxBNmYSzwUg6h6oFnLV", false}, // the TRON address on the XBT list
		{"1abc", false},
		{"1111111111111111111111111'] OR [x:y = '", false},
		{"", false},
	}
	for _, tt := range tests {
		if got := looksBitcoin(tt.addr); got != tt.want {
			t.Errorf("looksBitcoin(%q) = %v, want %v", tt.addr, got, tt.want)
		}
	}
}

func TestParseGalaxy(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    int
		wantErr bool
	}{
		{"not JSON", `{`, 0, true},
		{"no clusters", `{"values":[]}`, 0, true},
		{"bad uuid and empty name dropped", `{"values":[
			{"uuid":"nope","value":"A"},
			{"uuid":"81b4e3ac-aa83-4616-9899-8e19ee3bb78b","value":"  "},
			{"uuid":"81b4e3ac-aa83-4616-9899-8e19ee3bb78b","value":"B","meta":{"synonyms":["B","b2","b2",""],"refs":["javascript:x","https://ok.example/"]}}]}`, 1, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseGalaxy([]byte(tt.in))
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v", err)
			}
			if len(got) != tt.want {
				t.Fatalf("%d clusters, want %d", len(got), tt.want)
			}
			if tt.want == 1 {
				c := got[0]
				if len(c.Meta.Synonyms) != 1 || c.Meta.Synonyms[0] != "b2" || len(c.Meta.Refs) != 1 {
					t.Errorf("cleaned cluster: %+v", c)
				}
			}
		})
	}
}

// FuzzParseGalaxy: whatever galaxy JSON comes in, what comes out has
// valid UUIDs, non-empty names, bounded aliases and only http(s) refs.
func FuzzParseGalaxy(f *testing.F) {
	f.Add([]byte(`{"values":[{"uuid":"81b4e3ac-aa83-4616-9899-8e19ee3bb78b","value":"B","meta":{"synonyms":["x"],"refs":["https://a/"]}}]}`))
	f.Add([]byte(`{"values":[{"uuid":"","value":""}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		cs, err := parseGalaxy(data)
		if err != nil {
			return
		}
		for _, c := range cs {
			if c.Value == "" || uuid.Validate(c.UUID) != nil || len(c.Meta.Synonyms) > maxAliases || len(c.Meta.Refs) > maxRefs {
				t.Fatalf("bad cluster out: %+v", c)
			}
			for _, r := range c.Meta.Refs {
				if !strings.HasPrefix(r, "http://") && !strings.HasPrefix(r, "https://") {
					t.Fatalf("ref %q", r)
				}
			}
		}
	})
}
