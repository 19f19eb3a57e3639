package postgres_test

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/entente/entente/internal/auth"
	"github.com/entente/entente/internal/stix"
	"github.com/entente/entente/internal/store"
	"github.com/entente/entente/internal/store/postgres"
)

// model is one stored version as the fuzz test's reference implementation
// of Query sees it.
type model struct {
	w         store.Write
	dateAdded time.Time
	version   time.Time
}

// FuzzQuery compares Query with a reference implementation written
// straight from the store package doc, on a fixed set of versions, for
// fuzzed filters and viewers. Lists are comma-separated in the fuzz input;
// mode's bits ask for all, first and last versions.
func FuzzQuery(f *testing.F) {
	f.Add("", "", "", uint8(0), uint8(0), uint8(0), uint8(10), "u1", "org1", "", true)
	f.Add("indicator--1,indicator--2", "indicator", "2.1", uint8(1), uint8(3), uint8(2), uint8(3), "u2", "org2", "org1", false)
	f.Add("", "malware,indicator", "2.0", uint8(6), uint8(7), uint8(0), uint8(1), "u3", "org3", "org2,org1", false)
	f.Add("x'--", "'; DROP TABLE objects; --", "2.1,2.0", uint8(2), uint8(1), uint8(5), uint8(200), "u1", "org2", "", true)
	f.Add("indicator--1,\x00", "\xff", "2.1", uint8(1), uint8(0), uint8(0), uint8(5), "u1", "org1", "", true)

	ctx := context.Background()
	s, err := postgres.Open(ctx, postgres.Config{URL: postgres.NewTestDB(f)})
	if err != nil {
		f.Fatal(err)
	}
	defer s.Close()
	c := setup(f, s)
	if err := s.CreateOrg(ctx, auth.Org{Name: "org2", Kind: auth.KindClient, ClientOf: []string{"org1"}, Created: time.Now()}); err != nil {
		f.Fatal(err)
	}
	at := func(n int) time.Time { return time.Date(2026, 2, 1, 0, 0, n, 0, time.UTC) }
	type spec struct {
		typ, spec string
		id, mod   int // mod 0: unversioned
		tlp       stix.TLP
		org, user string
		rorgs     []string
		rusers    []string
	}
	specs := []spec{
		{"indicator", "2.1", 1, 3, stix.TLPGreen, "org1", "u1", nil, nil},
		{"indicator", "2.1", 1, 1, stix.TLPAmber, "org1", "u1", []string{"org3"}, nil},
		{"indicator", "2.0", 1, 5, stix.TLPUnmarked, "org1", "u1", nil, nil},
		{"indicator", "2.1", 2, 2, stix.TLPRed, "org1", "u1", nil, []string{"u3"}},
		{"indicator", "2.1", 2, 4, stix.TLPClear, "org2", "u2", nil, nil},
		{"malware", "2.1", 3, 6, stix.TLPAmberStrict, "org2", "u2", []string{"org3"}, nil},
		{"ipv4-addr", "2.1", 4, 0, stix.TLPUnmarked, "org2", "u2", nil, nil},
		{"indicator", "2.1", 2, 7, stix.TLPAmber, "org2", "u2", nil, nil},
		{"malware", "2.0", 3, 2, stix.TLPGreen, "org1", "u1", nil, nil},
		{"indicator", "2.1", 5, 7, stix.TLPRed, "org1", "u1", nil, []string{"u1"}},
	}
	var stored []model
	for _, sp := range specs { // one call each: date_added follows the list
		id := fmt.Sprintf("%s--%d", sp.typ, sp.id)
		o := &stix.Object{Type: sp.typ, ID: id, SpecVersion: sp.spec, TLP: sp.tlp,
			RecipientOrgs: sp.rorgs, RecipientUsers: sp.rusers, Raw: []byte(`{}`)}
		if sp.mod > 0 {
			o.Created, o.Modified = at(0), at(sp.mod)
		}
		w := store.Write{Object: o, ProducerOrg: sp.org, ProducerUser: sp.user}
		d, err := s.AddObjects(ctx, c.ID, newStatus(f, s, c), []store.Write{w}, nil)
		if err != nil {
			f.Fatal(err)
		}
		m := model{w: w, dateAdded: d[0], version: o.Version()}
		if m.version.IsZero() {
			m.version = d[0]
		}
		stored = append(stored, m)
	}

	f.Fuzz(func(t *testing.T, ids, types, specVersions string, mode, atMask, after, limit uint8,
		vuser, vorg, clientOf string, community bool) {
		// Filter values may be anything (they come from a URL); viewer
		// names are checked by package auth long before a store.
		for _, s := range []string{vuser, vorg, clientOf} {
			if !utf8.ValidString(s) || strings.ContainsRune(s, 0) {
				t.Skip()
			}
		}
		if limit == 0 {
			limit = 1
		}
		fl := store.Filter{IDs: split(ids), Types: split(types), SpecVersions: split(specVersions),
			Versions: store.VersionMatch{All: mode&1 != 0, First: mode&2 != 0, Last: mode&4 != 0}, Limit: int(limit)}
		for i := range 8 {
			if atMask&(1<<i) != 0 {
				fl.Versions.At = append(fl.Versions.At, at(i))
			}
		}
		if int(after) < len(stored) {
			fl.AddedAfter = stored[after].dateAdded
		}
		v := auth.Viewer{User: vuser, Org: vorg, Community: community, ClientOf: split(clientOf)}
		got, err := s.Query(ctx, c, v, fl, false)
		if err != nil {
			t.Fatalf("Query(%+v): %v", fl, err)
		}
		want := reference(stored, c, v, fl)
		if !slices.EqualFunc(got.Entries, want.Entries, func(a, b store.Entry) bool {
			return a.ID == b.ID && a.Version.Equal(b.Version) && a.DateAdded.Equal(b.DateAdded)
		}) || got.More != want.More {
			t.Errorf("Query(%+v, %+v)\n got %v more=%v\nwant %v more=%v", fl, v, got.Entries, got.More, want.Entries, want.More)
		}
	})
}

// reference is Query as the store package doc and the conformance suite
// describe it, by brute force.
func reference(stored []model, c store.Collection, v auth.Viewer, f store.Filter) store.Page {
	latestSpec := map[string]string{}
	first, last := map[string]model{}, map[string]model{}
	byVersion := func(a, b model) int {
		return cmp.Or(a.version.Compare(b.version), a.dateAdded.Compare(b.dateAdded))
	}
	for _, m := range stored {
		id := m.w.Object.ID
		latestSpec[id] = max(latestSpec[id], m.w.Object.SpecVersion)
		if f, ok := first[id]; !ok || byVersion(m, f) < 0 {
			first[id] = m
		}
		if l, ok := last[id]; !ok || byVersion(m, l) > 0 {
			last[id] = m
		}
	}
	var p store.Page
	for _, m := range stored {
		o := m.w.Object
		acc := auth.Access{TLP: o.TLP, ProducerOrg: m.w.ProducerOrg, ProducerUser: m.w.ProducerUser,
			RecipientOrgs: o.RecipientOrgs, RecipientUsers: o.RecipientUsers}
		if acc.TLP == stix.TLPUnmarked {
			acc.TLP = c.DefaultTLP
		}
		vm := f.Versions
		ok := m.dateAdded.After(f.AddedAfter) &&
			(len(f.IDs) == 0 || slices.Contains(f.IDs, o.ID)) &&
			(len(f.Types) == 0 || slices.Contains(f.Types, o.Type)) &&
			(len(f.SpecVersions) == 0 && o.SpecVersion == latestSpec[o.ID] || slices.Contains(f.SpecVersions, o.SpecVersion)) &&
			(vm.All || vm.First && first[o.ID].dateAdded.Equal(m.dateAdded) ||
				(vm.Last || !vm.First && len(vm.At) == 0) && last[o.ID].dateAdded.Equal(m.dateAdded) ||
				slices.ContainsFunc(vm.At, m.version.Equal)) &&
			auth.CanRead(v, acc)
		if !ok {
			continue
		}
		if len(p.Entries) == f.Limit {
			p.More = true
			break
		}
		p.Entries = append(p.Entries, store.Entry{ID: o.ID, Type: o.Type, SpecVersion: o.SpecVersion, Version: m.version, DateAdded: m.dateAdded})
	}
	return p
}

func split(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, ",")
}
