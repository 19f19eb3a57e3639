package storetest

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/entente/entente/internal/auth"
	"github.com/entente/entente/internal/store"
)

// producerViewer reads everything the fixture's tests add.
func producerViewer(f *fixture, c store.Collection) auth.Viewer {
	return viewerFor(f.orgs, "prod-u1", "prod", c)
}

func testAddObjects(t *testing.T, s store.Store) {
	ctx := context.Background()
	f := newFixture(t, s)
	c1 := f.collection("one", tlpClear, nil)
	c2 := f.collection("two", tlpClear, nil)
	ind := oid("indicator", 1)
	ip := oid("ipv4-addr", 2)

	var last time.Time
	var stored int
	steps := []struct {
		name    string
		coll    store.Collection
		objs    []objSpec
		wantNew []bool // which writes are new versions
	}{
		{"first versions", c1, []objSpec{{id: ind, modified: ts(10)}, {id: ip, typ: "ipv4-addr"}}, []bool{true, true}},
		{"same again", c1, []objSpec{{id: ind, modified: ts(10)}, {id: ip, typ: "ipv4-addr"}}, []bool{false, false}},
		{"sco with other content is the same version", c1, []objSpec{{id: ip, typ: "ipv4-addr", pad: 10}}, []bool{false}},
		{"new version and duplicate in one call", c1, []objSpec{{id: ind, modified: ts(20)}, {id: ind, modified: ts(20)}, {id: ind, modified: ts(5)}}, []bool{true, false, true}},
		{"same ids in another collection", c2, []objSpec{{id: ind, modified: ts(10)}, {id: ip, typ: "ipv4-addr"}}, []bool{true, true}},
		{"back to the first collection", c1, []objSpec{{id: oid("malware", 3), modified: ts(1)}}, []bool{true}},
	}
	first := map[key]time.Time{} // date_added given to each collection+version
	for _, st := range steps {
		dates := f.add(st.coll, "prod", "prod-u1", st.objs)
		for i, o := range st.objs {
			k := key{st.coll.ID + "/" + o.id, o.modified.UnixMicro()}
			if st.wantNew[i] {
				if !dates[i].After(last) {
					t.Errorf("%s: write %d date_added %v not after %v", st.name, i, dates[i], last)
				}
				if _, ok := first[k]; ok {
					t.Errorf("%s: write %d expected new but already stored", st.name, i)
				}
				last = dates[i]
				first[k] = dates[i]
				stored++
			} else if want, ok := first[k]; !ok || !dates[i].Equal(want) {
				t.Errorf("%s: re-add %d returned date_added %v; want the first one, %v", st.name, i, dates[i], want)
			}
		}
	}
	n := len(f.queryAll(c1, producerViewer(f, c1), false)) + len(f.queryAll(c2, producerViewer(f, c2), false))
	if n != stored {
		t.Errorf("stored %d versions; want %d", n, stored)
	}

	// Failing calls store nothing.
	st := f.status(c1.ID, "prod-u1", ts(1), 1)
	ws := f.writes([]objSpec{{id: oid("indicator", 99), modified: ts(1)}}, "prod", "prod-u1")
	fails := []struct {
		name         string
		coll, status string
	}{
		{"unknown collection", "c0000000-0000-4000-8000-00000000dead", st},
		{"unknown status", c1.ID, "c0000000-0000-4000-8000-00000000beef"},
	}
	for _, tt := range fails {
		_, err := s.AddObjects(ctx, tt.coll, tt.status, ws, nil)
		wantErr(t, tt.name, err, store.ErrNotFound)
	}
	if got := len(f.queryAll(c1, producerViewer(f, c1), false)); got+len(f.queryAll(c2, producerViewer(f, c2), false)) != stored {
		t.Errorf("failed AddObjects stored something")
	}
}

func testStatuses(t *testing.T, s store.Store) {
	ctx := context.Background()
	f := newFixture(t, s)
	c := f.collection("one", tlpClear, nil)
	objs := []objSpec{{id: oid("indicator", 1), modified: ts(10)}, {id: oid("ipv4-addr", 2)}}
	fails := []store.StatusDetail{{ID: oid("malware", 3), Version: ts(7), Message: "invalid: no name"}}
	req := ts(50).Add(7 * time.Microsecond)
	st := f.status(c.ID, "memb-u", req, 4)

	got, err := s.Status(ctx, st)
	if err != nil || got.ID != st || got.Collection != c.ID || got.User != "memb-u" || !got.RequestTimestamp.Equal(req) ||
		got.Total != 4 || got.PendingCount() != 4 || len(got.Successes)+len(got.Failures) != 0 {
		t.Errorf("new Status = %+v, %v; want 4 pending for memb-u", got, err)
	}
	err = s.CreateStatus(ctx, store.Status{ID: st, Collection: c.ID, User: "memb-u", RequestTimestamp: req, Total: 1})
	wantErr(t, "CreateStatus duplicate", err, store.ErrExists)
	_, err = s.Status(ctx, "c0000000-0000-4000-8000-00000000beef")
	wantErr(t, "Status(unknown)", err, store.ErrNotFound)

	dates, err := s.AddObjects(ctx, c.ID, st, f.writes(objs, "memb", "memb-u"), fails)
	if err != nil {
		t.Fatalf("AddObjects: %v", err)
	}
	got, err = s.Status(ctx, st)
	if err != nil {
		t.Fatalf("Status: %v", err)
	}
	wantSucc := []store.StatusDetail{
		{ID: objs[0].id, Version: ts(10)},
		{ID: objs[1].id, Version: dates[1]},
	}
	tests := []struct {
		name      string
		got, want any
	}{
		{"User", got.User, "memb-u"},
		{"Total", got.Total, 4},
		{"SuccessCount", got.SuccessCount, 2},
		{"FailureCount", got.FailureCount, 1},
		{"PendingCount", got.PendingCount(), 1},
		{"Successes", sameDetails(got.Successes, wantSucc), true},
		{"Failures", sameDetails(got.Failures, fails), true},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("%s = %v; want %v (status %+v)", tt.name, tt.got, tt.want, got)
		}
	}

	// A second call on the same status adds to it; a re-add is a success.
	if _, err := s.AddObjects(ctx, c.ID, st, f.writes(objs[:1], "memb", "memb-u"), nil); err != nil {
		t.Fatalf("AddObjects again: %v", err)
	}
	got, _ = s.Status(ctx, st)
	if got.SuccessCount != 3 || len(got.Successes) != 3 || got.PendingCount() != 0 {
		t.Errorf("after re-add Status = %+v; want 3 successes, 0 pending", got)
	}
}

func sameDetails(a, b []store.StatusDetail) bool {
	return slices.EqualFunc(a, b, func(x, y store.StatusDetail) bool {
		return x.ID == y.ID && x.Version.Equal(y.Version) && x.Message == y.Message
	})
}

func testPruneStatuses(t *testing.T, s store.Store) {
	ctx := context.Background()
	f := newFixture(t, s)
	c := f.collection("one", tlpClear, nil)
	var ids []string
	for i := range 5 {
		id := f.status(c.ID, "prod-u1", ts(i*10), 1)
		if _, err := s.AddObjects(ctx, c.ID, id, f.writes([]objSpec{{id: oid("indicator", i), modified: ts(1)}}, "prod", "prod-u1"), nil); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	tests := []struct {
		before time.Time
		want   int
	}{
		{ts(0), 0},  // strictly before
		{ts(15), 2}, // ts(0), ts(10)
		{ts(15), 0}, // already gone
		{ts(100), 3},
	}
	for _, tt := range tests {
		n, err := s.PruneStatuses(ctx, tt.before)
		if err != nil || n != tt.want {
			t.Errorf("PruneStatuses(%v) = %d, %v; want %d", tt.before, n, err, tt.want)
		}
	}
	for _, id := range ids {
		_, err := s.Status(ctx, id)
		wantErr(t, "Status after prune", err, store.ErrNotFound)
	}
	if got := len(f.queryAll(c, producerViewer(f, c), false)); got != 5 {
		t.Errorf("pruning statuses removed objects: %d left, want 5", got)
	}
}

// versionsFixture stores, in order: X@20, Y (unversioned SCO), X@30,
// Z@created-only, X@10, M@5 (a malware), so that first and last are not the
// first and last added.
type versionsFixture struct {
	c     store.Collection
	dates map[key]time.Time
	order []key // in date_added order
	specs map[key]objSpec
}

func newVersionsFixture(f *fixture) versionsFixture {
	X, Y, Z, M := oid("indicator", 1), oid("ipv4-addr", 2), oid("identity", 3), oid("malware", 4)
	objs := []objSpec{
		{id: X, modified: ts(20), pad: 10},
		{id: Y},
		{id: X, modified: ts(30)},
		{id: Z, created: ts(3)}, // created, no modified: one version, reported as created
		{id: X, modified: ts(10)},
		{id: M, modified: ts(5)},
	}
	vf := versionsFixture{c: f.collection("versions", tlpClear, nil), dates: map[key]time.Time{}, specs: map[key]objSpec{}}
	for _, o := range objs { // one call each: date_added order is call order
		d := f.add(vf.c, "prod", "prod-u1", []objSpec{o})[0]
		k := key{o.id, o.entryVersion(d).UnixMicro()}
		vf.dates[k], vf.specs[k] = d, o
		vf.order = append(vf.order, k)
	}
	return vf
}

func testQuery(t *testing.T, s store.Store) {
	ctx := context.Background()
	f := newFixture(t, s)
	vf := newVersionsFixture(f)
	X, Y, Z, M := oid("indicator", 1), oid("ipv4-addr", 2), oid("identity", 3), oid("malware", 4)
	x10, x20, x30 := key{X, ts(10).UnixMicro()}, key{X, ts(20).UnixMicro()}, key{X, ts(30).UnixMicro()}
	y := vf.order[1]
	z := key{Z, ts(3).UnixMicro()}
	m := key{M, ts(5).UnixMicro()}
	all := vf.order // x20 y x30 z x10 m

	tests := []struct {
		name     string
		f        store.Filter
		want     []key
		wantMore bool
	}{
		{"default is last", store.Filter{Limit: 100}, []key{y, x30, z, m}, false},
		{"last", store.Filter{Versions: store.VersionMatch{Last: true}, Limit: 100}, []key{y, x30, z, m}, false},
		{"first", store.Filter{Versions: store.VersionMatch{First: true}, Limit: 100}, []key{y, z, x10, m}, false}, // X's first was added fifth
		{"all", store.Filter{Versions: store.VersionMatch{All: true}, Limit: 100}, all, false},
		{"first and last", store.Filter{Versions: store.VersionMatch{First: true, Last: true}, Limit: 100}, []key{y, x30, z, x10, m}, false},
		{"exact", store.Filter{Versions: store.VersionMatch{At: []time.Time{ts(20), ts(3)}}, Limit: 100}, []key{x20, z}, false},
		{"exact and last", store.Filter{Versions: store.VersionMatch{At: []time.Time{ts(20)}, Last: true}, Limit: 100}, []key{x20, y, x30, z, m}, false},
		{"exact date_added of an sco", store.Filter{Versions: store.VersionMatch{At: []time.Time{vf.dates[y]}}, Limit: 100}, []key{y}, false},
		{"exact none", store.Filter{Versions: store.VersionMatch{At: []time.Time{ts(21)}}, Limit: 100}, nil, false},
		{"added_after is exclusive", store.Filter{AddedAfter: vf.dates[x30], Versions: store.VersionMatch{All: true}, Limit: 100}, all[3:], false},
		{"added_after last", store.Filter{AddedAfter: vf.dates[m], Versions: store.VersionMatch{All: true}, Limit: 100}, nil, false},
		{"added_after between", store.Filter{AddedAfter: vf.dates[x30].Add(-time.Microsecond), Versions: store.VersionMatch{All: true}, Limit: 100}, all[2:], false},
		{"ids", store.Filter{IDs: []string{X, M}, Versions: store.VersionMatch{All: true}, Limit: 100}, []key{x20, x30, x10, m}, false},
		{"ids unknown", store.Filter{IDs: []string{oid("indicator", 77)}, Limit: 100}, nil, false},
		{"types", store.Filter{Types: []string{"ipv4-addr", "malware"}, Limit: 100}, []key{y, m}, false},
		{"types and ids", store.Filter{Types: []string{"indicator"}, IDs: []string{X, Y}, Limit: 100}, []key{x30}, false},
		{"spec_version 2.1", store.Filter{SpecVersions: []string{"2.1"}, Versions: store.VersionMatch{All: true}, Limit: 100}, all, false},
		{"spec_version 2.0", store.Filter{SpecVersions: []string{"2.0"}, Versions: store.VersionMatch{All: true}, Limit: 100}, nil, false},
		{"limit", store.Filter{Versions: store.VersionMatch{All: true}, Limit: 2}, all[:2], true},
		{"limit exact", store.Filter{Versions: store.VersionMatch{All: true}, Limit: 6}, all, false},
		{"limit with filter", store.Filter{Versions: store.VersionMatch{First: true}, Limit: 2}, []key{y, z}, true},
		{"limit after", store.Filter{AddedAfter: vf.dates[y], Versions: store.VersionMatch{All: true}, Limit: 3}, all[2:5], true},
		{"limit 1 last page", store.Filter{AddedAfter: vf.dates[x10], Versions: store.VersionMatch{All: true}, Limit: 1}, all[5:], false},
	}
	v := producerViewer(f, vf.c)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := s.Query(ctx, vf.c, v, tt.f, false)
			if err != nil {
				t.Fatalf("Query: %v", err)
			}
			if got := entryKeys(p.Entries); !slices.Equal(got, tt.want) && len(got)+len(tt.want) > 0 {
				t.Errorf("Query = %s; want %v", fmtEntries(p.Entries), tt.want)
			}
			if p.More != tt.wantMore {
				t.Errorf("More = %v; want %v", p.More, tt.wantMore)
			}
			for _, e := range p.Entries {
				k := key{e.ID, e.Version.UnixMicro()}
				o := vf.specs[k]
				if !e.DateAdded.Equal(vf.dates[k]) || e.SpecVersion != "2.1" || e.Type != o.object().Type || e.Raw != nil {
					t.Errorf("entry %+v; want date_added %v, type %s, spec 2.1, no raw", e, vf.dates[k], o.object().Type)
				}
			}
		})
	}
}

func testQueryRaw(t *testing.T, s store.Store) {
	ctx := context.Background()
	f := newFixture(t, s)
	vf := newVersionsFixture(f)
	v := producerViewer(f, vf.c)
	for _, withRaw := range []bool{false, true} {
		p, err := s.Query(ctx, vf.c, v, store.Filter{Versions: store.VersionMatch{All: true}, Limit: 100}, withRaw)
		if err != nil {
			t.Fatalf("Query: %v", err)
		}
		if len(p.Entries) != len(vf.order) {
			t.Fatalf("Query(withRaw=%v) = %d entries; want %d", withRaw, len(p.Entries), len(vf.order))
		}
		for _, e := range p.Entries {
			want := vf.specs[key{e.ID, e.Version.UnixMicro()}].object().Raw
			switch {
			case !withRaw && e.Raw != nil:
				t.Errorf("withRaw=false: %s has Raw %q", e.ID, e.Raw)
			case withRaw && string(e.Raw) != string(want):
				t.Errorf("withRaw=true: %s Raw = %s; want %s", e.ID, e.Raw, want)
			}
		}
	}
	// Filters that need a limit.
	_, err := s.Query(ctx, vf.c, v, store.Filter{}, false)
	if err == nil {
		t.Error("Query with Limit 0: no error")
	}
}

func testDelete(t *testing.T, s store.Store) {
	ctx := context.Background()
	f := newFixture(t, s)
	vf := newVersionsFixture(f)
	c := vf.c
	X, Y, M := oid("indicator", 1), oid("ipv4-addr", 2), oid("malware", 4)
	R := oid("indicator", 5)
	rAdded := f.add(c, "prod", "prod-u1", []objSpec{{id: R, modified: ts(1), tlp: tlpRed}})[0]
	prod := producerViewer(f, c)
	other := viewerFor(f.orgs, "memb-u", "memb", c)

	steps := []struct {
		name   string
		v      auth.Viewer
		id     string
		f      store.Filter
		want   int
		remain []key // X's versions left, and whether the others are
	}{
		{"exact version", prod, X, store.Filter{Versions: store.VersionMatch{At: []time.Time{ts(20)}}}, 1, []key{{X, ts(30).UnixMicro()}, {X, ts(10).UnixMicro()}}},
		{"exact version again", prod, X, store.Filter{Versions: store.VersionMatch{At: []time.Time{ts(20)}}}, 0, []key{{X, ts(30).UnixMicro()}, {X, ts(10).UnixMicro()}}},
		{"wrong spec_version", prod, X, store.Filter{SpecVersions: []string{"2.0"}, Versions: store.VersionMatch{All: true}}, 0, []key{{X, ts(30).UnixMicro()}, {X, ts(10).UnixMicro()}}},
		{"default is last", prod, X, store.Filter{}, 1, []key{{X, ts(10).UnixMicro()}}},
		{"red by another user", other, R, store.Filter{Versions: store.VersionMatch{All: true}}, 0, []key{{X, ts(10).UnixMicro()}}},
		{"unknown id", prod, oid("indicator", 404), store.Filter{Versions: store.VersionMatch{All: true}}, 0, []key{{X, ts(10).UnixMicro()}}},
		{"sco all", prod, Y, store.Filter{Versions: store.VersionMatch{All: true}}, 1, []key{{X, ts(10).UnixMicro()}}},
		{"first", prod, M, store.Filter{Versions: store.VersionMatch{First: true}}, 1, []key{{X, ts(10).UnixMicro()}}},
	}
	for _, st := range steps {
		n, err := s.Delete(ctx, c, st.v, st.id, st.f)
		if err != nil || n != st.want {
			t.Errorf("%s: Delete = %d, %v; want %d", st.name, n, err, st.want)
		}
		p, err := s.Query(ctx, c, prod, store.Filter{IDs: []string{X}, Versions: store.VersionMatch{All: true}, Limit: 10}, false)
		if err != nil {
			t.Fatal(err)
		}
		if got := entryKeys(p.Entries); !slices.Equal(got, st.remain) {
			t.Errorf("%s: X versions left %s; want %v", st.name, fmtEntries(p.Entries), st.remain)
		}
	}
	// What is left is both X's first and last version, and R is still there.
	for _, vm := range []store.VersionMatch{{First: true}, {Last: true}} {
		p, err := s.Query(ctx, c, prod, store.Filter{IDs: []string{X, Y, M, R}, Versions: vm, Limit: 10}, false)
		if err != nil {
			t.Fatal(err)
		}
		want := []key{{X, ts(10).UnixMicro()}, {R, ts(1).UnixMicro()}}
		if got := entryKeys(p.Entries); !slices.Equal(got, want) {
			t.Errorf("after deletes %+v = %s; want %v", vm, fmtEntries(p.Entries), want)
		}
	}
	// date_added never goes back, even when the newest object is deleted:
	// a client holding it as added_after must still see what comes next.
	if n, err := s.Delete(ctx, c, prod, R, store.Filter{Versions: store.VersionMatch{All: true}}); n != 1 || err != nil {
		t.Fatalf("Delete(R) = %d, %v; want 1", n, err)
	}
	if next := f.add(c, "prod", "prod-u1", []objSpec{{id: oid("indicator", 6), modified: ts(1)}})[0]; !next.After(rAdded) {
		t.Errorf("date_added after deleting the newest object = %v; want after %v", next, rAdded)
	}
}

func testStats(t *testing.T, s store.Store) {
	ctx := context.Background()
	f := newFixture(t, s)
	st, err := s.Stats(ctx)
	if err != nil || st.Objects != 0 || st.Bytes < 0 {
		t.Errorf("empty Stats = %+v, %v; want 0 objects", st, err)
	}
	c1 := f.collection("one", tlpClear, nil)
	c2 := f.collection("two", tlpClear, nil)
	objs := []objSpec{{id: oid("indicator", 1), modified: ts(1)}, {id: oid("indicator", 1), modified: ts(2)}, {id: oid("ipv4-addr", 2)}}
	f.add(c1, "prod", "prod-u1", objs)
	f.add(c2, "prod", "prod-u1", objs)
	f.add(c2, "prod", "prod-u1", objs) // no change
	st, err = s.Stats(ctx)
	if err != nil || st.Objects != 6 || st.Bytes < 0 {
		t.Errorf("Stats = %+v, %v; want 6 objects", st, err)
	}
}
