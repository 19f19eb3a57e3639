package storetest

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/entente/entente/internal/auth"
	"github.com/entente/entente/internal/stix"
	"github.com/entente/entente/internal/store"
)

// testTLP checks, for every viewer of the fixture against objects of every
// TLP level, producer and recipient list, in collections with different
// defaults and audiences, that Query returns exactly what auth.CanRead
// allows: the store's query language and the policy cannot drift apart.
func testTLP(t *testing.T, s store.Store) {
	ctx := context.Background()
	f := newFixture(t, s)
	colls := []store.Collection{
		f.collection("green default, audience aud", tlpGreen, []string{"aud"}),
		f.collection("amber+strict default, audience aud", tlpAmberStrict, []string{"aud"}),
		f.collection("amber default, audience recip", tlpAmber, []string{"recip"}),
		f.collection("red default", tlpRed, nil),
		f.collection("no default", tlpNone, nil),
	}
	producers := []struct{ org, user string }{{"prod", "prod-u1"}, {"memb", "memb-u"}}
	recipients := []struct{ orgs, users []string }{
		{},
		{orgs: []string{"recip"}},
		{users: []string{"memb-u", "cr-u"}},
		{orgs: []string{"recip", "outsider"}, users: []string{"recip-u"}},
		{orgs: []string{"cli-prod"}, users: []string{"prod-u2"}},
	}
	type stored struct {
		spec objSpec
		acc  auth.Access
	}
	objects := map[string][]stored{} // by collection ID
	n := 0
	for _, c := range colls {
		for _, p := range producers {
			var specs []objSpec
			for tlp := stix.TLPUnmarked; tlp <= stix.TLPRed; tlp++ {
				for _, r := range recipients {
					n++
					o := objSpec{id: oid("indicator", n), modified: ts(n), tlp: tlp, rorgs: r.orgs, rusers: r.users}
					specs = append(specs, o)
					eff := tlp
					if eff == stix.TLPUnmarked {
						eff = c.DefaultTLP
					}
					objects[c.ID] = append(objects[c.ID], stored{o, auth.Access{
						TLP: eff, ProducerOrg: p.org, ProducerUser: p.user, RecipientOrgs: r.orgs, RecipientUsers: r.users,
					}})
				}
			}
			f.add(c, p.org, p.user, specs)
		}
	}

	for _, c := range colls {
		for user, org := range f.userOrg {
			v := viewerFor(f.orgs, user, org, c)
			var want []string
			for _, o := range objects[c.ID] {
				if auth.CanRead(v, o.acc) {
					want = append(want, o.spec.id)
				}
			}
			name := fmt.Sprintf("%s/%s", c.Title, user)
			got := f.queryAll(c, v, false)
			if ids := entryIDs(got); !slices.Equal(ids, want) {
				t.Errorf("%s: Query differs from auth.CanRead: %s", name, diffIDs(ids, want))
			}
			// Small pages must be exact too: More only when a next page has entries.
			var paged []string
			var after time.Time
			for i := 0; i < 100; i++ {
				p, err := s.Query(ctx, c, v, store.Filter{AddedAfter: after, Limit: 7}, false)
				if err != nil {
					t.Fatalf("%s: Query: %v", name, err)
				}
				paged = append(paged, entryIDs(p.Entries)...)
				if !p.More {
					break
				}
				if len(p.Entries) != 7 {
					t.Errorf("%s: page of %d entries with More; want 7", name, len(p.Entries))
					break
				}
				after = p.Entries[len(p.Entries)-1].DateAdded
			}
			if !slices.Equal(paged, want) {
				t.Errorf("%s: paging with limit 7 differs: %s", name, diffIDs(paged, want))
			}
		}
	}

	// Delete removes only what the viewer may read: one viewer per collection.
	deleters := []string{"cr-u", "ca-u", "cp-u", "memb-u", "aud-u"}
	for i, c := range colls {
		user := deleters[i]
		v := viewerFor(f.orgs, user, f.userOrg[user], c)
		wantGone := 0
		for _, o := range objects[c.ID] {
			n, err := s.Delete(ctx, c, v, o.spec.id, store.Filter{Versions: store.VersionMatch{All: true}})
			if err != nil {
				t.Fatalf("Delete: %v", err)
			}
			want := 0
			if auth.CanRead(v, o.acc) {
				want = 1
				wantGone++
			}
			if n != want {
				t.Errorf("%s: %s Delete(%s, TLP %d) = %d; want %d", c.Title, user, o.spec.id, o.acc.TLP, n, want)
			}
		}
		// What the deleter could not read is still there for its readers.
		for _, p := range producers {
			pv := viewerFor(f.orgs, p.user, p.org, c)
			var want []string
			for _, o := range objects[c.ID] {
				if !auth.CanRead(v, o.acc) && auth.CanRead(pv, o.acc) {
					want = append(want, o.spec.id)
				}
			}
			if got := entryIDs(f.queryAll(c, pv, false)); !slices.Equal(got, want) {
				t.Errorf("%s: after %s's deletes %s reads %v; want %v", c.Title, user, p.user, got, want)
			}
		}
	}
}

// diffIDs describes how got differs from want, briefly.
func diffIDs(got, want []string) string {
	var extra, missing []string
	for _, id := range got {
		if !slices.Contains(want, id) {
			extra = append(extra, id)
		}
	}
	for _, id := range want {
		if !slices.Contains(got, id) {
			missing = append(missing, id)
		}
	}
	if len(extra)+len(missing) == 0 {
		return fmt.Sprintf("same ids, other order or repeats: got %v", got)
	}
	return fmt.Sprintf("returned but not readable %v; readable but not returned %v", extra, missing)
}

func entryIDs(es []store.Entry) []string {
	ids := make([]string, len(es))
	for i, e := range es {
		ids[i] = e.ID
	}
	return ids
}

// testPaging adds 5,000 objects in one call and pages through them with
// added_after, as a TAXII client does.
func testPaging(t *testing.T, s store.Store) {
	ctx := context.Background()
	f := newFixture(t, s)
	c := f.collection("paging", tlpGreen, nil)
	const total, limit = 5000, 97
	objs := make([]objSpec, total)
	for i := range objs {
		objs[i] = objSpec{id: oid("indicator", i+1), modified: ts(i), pad: 200}
	}
	dates := f.add(c, "prod", "prod-u1", objs)
	for i := 1; i < len(dates); i++ {
		if !dates[i].After(dates[i-1]) {
			t.Fatalf("date_added[%d] = %v not after date_added[%d] = %v", i, dates[i], i-1, dates[i-1])
		}
	}
	v := viewerFor(f.orgs, "memb-u", "memb", c)
	var after time.Time
	next := 0
	for pages := 0; ; pages++ {
		if pages > total/limit+1 {
			t.Fatalf("paging does not end after %d pages", pages)
		}
		p, err := s.Query(ctx, c, v, store.Filter{AddedAfter: after, Limit: limit}, true)
		if err != nil {
			t.Fatalf("Query: %v", err)
		}
		for _, e := range p.Entries {
			if next >= total {
				t.Fatalf("extra entry %s", e.ID)
			}
			if e.ID != objs[next].id || !e.DateAdded.Equal(dates[next]) || len(e.Raw) == 0 {
				t.Fatalf("entry %d = %s added %v; want %s added %v", next, e.ID, e.DateAdded, objs[next].id, dates[next])
			}
			next++
		}
		if wantMore := next < total; p.More != wantMore {
			t.Fatalf("after %d entries More = %v; want %v", next, p.More, wantMore)
		}
		if !p.More {
			break
		}
		after = p.Entries[len(p.Entries)-1].DateAdded
	}
	if next != total {
		t.Errorf("paged %d entries; want %d", next, total)
	}
}

// testConcurrency adds from several goroutines at once, to two collections.
func testConcurrency(t *testing.T, s store.Store) {
	ctx := context.Background()
	f := newFixture(t, s)
	colls := []store.Collection{f.collection("a", tlpClear, nil), f.collection("b", tlpClear, nil)}
	const workers, calls, per = 6, 8, 20
	statuses := make([][]string, workers)
	for w := range workers {
		for range calls {
			statuses[w] = append(statuses[w], f.status(colls[w%2].ID, "prod-u1", ts(1), per))
		}
	}
	results := make([][]time.Time, workers)
	errs := make([]error, workers)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			c := colls[w%2]
			for i := range calls {
				objs := make([]objSpec, per)
				for j := range objs {
					objs[j] = objSpec{id: oid("indicator", (w*calls+i)*per+j+1), modified: ts(w)}
				}
				dates, err := s.AddObjects(ctx, c.ID, statuses[w][i], f.writes(objs, "prod", "prod-u1"), nil)
				if err != nil {
					errs[w] = err
					return
				}
				results[w] = append(results[w], dates...)
			}
		})
	}
	wg.Wait()
	seen := map[int64]bool{}
	for w, ds := range results {
		if errs[w] != nil {
			t.Fatalf("worker %d: %v", w, errs[w])
		}
		for i, d := range ds {
			if seen[d.UnixMicro()] {
				t.Errorf("date_added %v given twice", d)
			}
			seen[d.UnixMicro()] = true
			if i > 0 && !d.After(ds[i-1]) {
				t.Errorf("worker %d: date_added %v not after %v", w, d, ds[i-1])
			}
		}
	}
	total := 0
	for _, c := range colls {
		es := f.queryAll(c, producerViewer(f, c), false)
		total += len(es)
		for i := range es {
			if !seen[es[i].DateAdded.UnixMicro()] {
				t.Errorf("stored date_added %v was not returned", es[i].DateAdded)
			}
		}
	}
	if total != workers*calls*per {
		t.Errorf("stored %d objects; want %d", total, workers*calls*per)
	}
}
