package postgres_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/entente/entente/internal/auth"
	"github.com/entente/entente/internal/stix"
	"github.com/entente/entente/internal/store"
	"github.com/entente/entente/internal/store/postgres"
)

// TestVersionFlags follows the first, last and latest spec_version marks
// through adds in any order and deletes, including what the conformance
// suite leaves out: objects of more than one spec_version.
func TestVersionFlags(t *testing.T) {
	ctx := context.Background()
	s := open(t, postgres.NewTestDB(t), nil)
	defer s.Close()
	c := setup(t, s)
	v := auth.Viewer{User: "u1", Org: "org1", Community: true}
	at := func(n int) time.Time { return time.Date(2026, 2, 1, 0, 0, n, 0, time.UTC) }
	obj := func(id string, n int, spec string) store.Write {
		raw := fmt.Sprintf(`{"type":"indicator","spec_version":%q,"id":%q,"modified":%q}`, spec, id, at(n).Format(time.RFC3339))
		return store.Write{Object: &stix.Object{Type: "indicator", ID: id, SpecVersion: spec, Created: at(0), Modified: at(n),
			TLP: stix.TLPClear, Raw: []byte(raw)}, ProducerOrg: "org1", ProducerUser: "u1"}
	}
	const X, Y = "indicator--aaaaaaaa-0000-4000-8000-000000000001", "indicator--bbbbbbbb-0000-4000-8000-000000000002"
	type ver struct {
		id string
		n  int
	}
	all := store.VersionMatch{All: true}
	steps := []struct {
		name   string
		add    []store.Write
		del    string       // object to delete with delF
		delF   store.Filter // versions to delete
		f      store.Filter // then query
		want   []ver        // in date_added order
		wantOK int          // deleted count
	}{
		{name: "2.0 then 2.1, one call", add: []store.Write{obj(X, 1, "2.0"), obj(X, 2, "2.1")},
			f: store.Filter{}, want: []ver{{X, 2}}},
		{name: "latest spec only, all versions", f: store.Filter{Versions: all}, want: []ver{{X, 2}}},
		{name: "spec 2.0 asked", f: store.Filter{SpecVersions: []string{"2.0"}, Versions: all}, want: []ver{{X, 1}}},
		{name: "first is 2.0, not latest spec", f: store.Filter{Versions: store.VersionMatch{First: true}}, want: nil},
		{name: "first of 2.0", f: store.Filter{SpecVersions: []string{"2.0"}, Versions: store.VersionMatch{First: true}}, want: []ver{{X, 1}}},
		{name: "older versions arrive later", add: []store.Write{obj(Y, 5, "2.1")},
			f: store.Filter{Versions: store.VersionMatch{First: true}}, want: []ver{{Y, 5}}},
		{name: "older Y", add: []store.Write{obj(Y, 3, "2.1"), obj(Y, 4, "2.1")},
			f: store.Filter{Versions: store.VersionMatch{First: true, Last: true}}, want: []ver{{X, 2}, {Y, 5}, {Y, 3}}},
		{name: "delete X's last", del: X, delF: store.Filter{SpecVersions: []string{"2.1"}, Versions: all}, wantOK: 1,
			f: store.Filter{}, want: []ver{{X, 1}, {Y, 5}}},
		{name: "delete Y's first", del: Y, delF: store.Filter{Versions: store.VersionMatch{First: true}}, wantOK: 1,
			f: store.Filter{Versions: store.VersionMatch{First: true}}, want: []ver{{X, 1}, {Y, 4}}},
		{name: "delete Y's last", del: Y, delF: store.Filter{}, wantOK: 1,
			f: store.Filter{}, want: []ver{{X, 1}, {Y, 4}}},
		{name: "re-add a deleted version", add: []store.Write{obj(Y, 5, "2.1")},
			f: store.Filter{}, want: []ver{{X, 1}, {Y, 5}}},
	}
	for _, st := range steps {
		if len(st.add) > 0 {
			if _, err := s.AddObjects(ctx, c.ID, newStatus(t, s, c), st.add, nil); err != nil {
				t.Fatalf("%s: AddObjects: %v", st.name, err)
			}
		}
		if st.del != "" {
			n, err := s.Delete(ctx, c, v, st.del, st.delF)
			if err != nil || n != st.wantOK {
				t.Errorf("%s: Delete = %d, %v; want %d", st.name, n, err, st.wantOK)
			}
		}
		st.f.Limit = 100
		p, err := s.Query(ctx, c, v, st.f, false)
		if err != nil {
			t.Fatalf("%s: Query: %v", st.name, err)
		}
		var got []ver
		for _, e := range p.Entries {
			got = append(got, ver{e.ID, e.Version.Second()})
		}
		if !slices.Equal(got, st.want) {
			t.Errorf("%s: Query = %v; want %v", st.name, got, st.want)
		}
	}
}
