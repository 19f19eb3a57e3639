// Package storetest is the conformance suite of the storage contract: one
// set of tests that every [store.Store] implementation runs against a real
// database, so that SQLite and PostgreSQL behave alike and neither drifts
// from the TLP rule in package auth.
//
// It is not a fake store and holds no implementation knowledge: it talks to
// a store only through the [store.Store] interface.
//
// # Use
//
// An implementation's test calls [Run] with a function that opens a fresh,
// empty store, and [RunDurable] when it can also reopen the same database:
//
//	func TestConformance(t *testing.T) {
//		storetest.Run(t, func(t *testing.T) store.Store { ... })
//	}
//
// The suite closes every store it opens. Each subtest opens its own store,
// so open should be cheap (a file in t.TempDir, a fresh schema).
//
// # What the suite pins down beyond the interface comments
//
//   - Raw is returned byte for byte as written.
//   - Re-adding an id and version the collection holds returns the
//     date_added it was first given; an object without modified has one
//     version per collection, whatever its created.
//   - match[version] first and last are computed over every version of the
//     object in the collection, before TLP filtering: a viewer who may not
//     read the last version gets nothing for "last".
//   - AddObjects on an unknown collection or status returns ErrNotFound and
//     stores nothing; CreateToken for an unknown user returns ErrNotFound
//     and a duplicate token ID ErrExists; CreateCollection and CreateStatus
//     return ErrExists for a duplicate ID.
//   - Orgs and Users are listed by name, Collections by ID, Tokens by ID.
//   - Times come back equal (time.Equal) at microsecond precision.
package storetest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/entente/entente/internal/store"
)

// Run runs the conformance suite. open must return a new, empty store each
// time it is called.
func Run(t *testing.T, open func(t *testing.T) store.Store) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s store.Store)
	}{
		{"Orgs", testOrgs},
		{"Users", testUsers},
		{"Tokens", testTokens},
		{"Collections", testCollections},
		{"AddObjects", testAddObjects},
		{"Statuses", testStatuses},
		{"PruneStatuses", testPruneStatuses},
		{"Query", testQuery},
		{"QueryRaw", testQueryRaw},
		{"Delete", testDelete},
		{"Stats", testStats},
		{"TLP", testTLP},
		{"Paging", testPaging},
		{"Concurrency", testConcurrency},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.fn(t, openStore(t, open))
		})
	}
}

// RunDurable checks that what a store acknowledged survives Close and
// reopening. open returns a new, empty store; reopen returns the store last
// returned by open, after it was closed.
func RunDurable(t *testing.T, open, reopen func(t *testing.T) store.Store) {
	ctx := context.Background()
	s := open(t)
	f := newFixture(t, s)
	c := f.collection("durable", tlpClear, nil)
	objs := []objSpec{
		{id: oid("indicator", 1), modified: ts(1), tlp: tlpAmber, rorgs: []string{"recip"}},
		{id: oid("indicator", 1), modified: ts(2), tlp: tlpRed, rusers: []string{"memb-u"}},
		{id: oid("ipv4-addr", 2), typ: "ipv4-addr"},
	}
	st := f.status(c.ID, "prod-u1", ts(10), len(objs)+1)
	dates, err := s.AddObjects(ctx, c.ID, st, f.writes(objs, "prod", "prod-u1"),
		[]store.StatusDetail{{ID: oid("malware", 3), Message: "rejected"}})
	if err != nil {
		t.Fatalf("AddObjects: %v", err)
	}
	before := f.queryAll(c, viewerFor(f.orgs, "prod-u1", "prod", c), true)
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}

	s = openStore(t, reopen)
	f.s = s
	for _, o := range f.orgList {
		got, err := s.Org(ctx, o.Name)
		if err != nil || !sameOrg(got, o) {
			t.Errorf("after reopen Org(%q) = %+v, %v; want %+v", o.Name, got, err, o)
		}
	}
	if got, err := s.Collection(ctx, c.ID); err != nil || !sameCollection(got, c) {
		t.Errorf("after reopen Collection = %+v, %v; want %+v", got, err, c)
	}
	after := f.queryAll(c, viewerFor(f.orgs, "prod-u1", "prod", c), true)
	if !sameEntries(before, after, true) {
		t.Errorf("after reopen entries differ:\n got %s\nwant %s", fmtEntries(after), fmtEntries(before))
	}
	got, err := s.Status(ctx, st)
	if err != nil || got.SuccessCount != 3 || got.FailureCount != 1 || len(got.Failures) != 1 {
		t.Errorf("after reopen Status = %+v, %v; want 3 successes, 1 failure", got, err)
	}
	st2 := f.status(c.ID, "prod-u1", ts(11), 1)
	more, err := s.AddObjects(ctx, c.ID, st2, f.writes([]objSpec{{id: oid("indicator", 4), modified: ts(1)}}, "prod", "prod-u1"), nil)
	if err != nil {
		t.Fatalf("AddObjects after reopen: %v", err)
	}
	if !more[0].After(dates[len(dates)-1]) {
		t.Errorf("date_added after reopen %v not after %v", more[0], dates[len(dates)-1])
	}
}

func openStore(t *testing.T, open func(t *testing.T) store.Store) store.Store {
	t.Helper()
	s := open(t)
	if s == nil {
		t.Fatal("open returned a nil store")
	}
	closed := false
	t.Cleanup(func() {
		if !closed {
			if err := s.Close(); err != nil {
				t.Errorf("Close: %v", err)
			}
		}
	})
	return &closeTracker{Store: s, closed: &closed}
}

// closeTracker lets RunDurable close a store itself without the cleanup
// closing it a second time.
type closeTracker struct {
	store.Store
	closed *bool
}

func (c *closeTracker) Close() error {
	*c.closed = true
	return c.Store.Close()
}

func wantErr(t *testing.T, what string, err, want error) {
	t.Helper()
	switch {
	case want == nil && err != nil:
		t.Errorf("%s: unexpected error %v", what, err)
	case want != nil && !errors.Is(err, want):
		t.Errorf("%s: error %v; want %v", what, err, want)
	}
}

// ts is a fixed, microsecond-precision time, n seconds into 2026.
func ts(n int) time.Time {
	return time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(n) * time.Second)
}
