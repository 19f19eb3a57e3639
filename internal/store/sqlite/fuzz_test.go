package sqlite

import (
	"context"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/entente/entente/internal/auth"
	"github.com/entente/entente/internal/stix"
	"github.com/entente/entente/internal/store"
)

// model is one stored object version as the fuzz test expects it.
type model struct {
	id, typ, spec string
	vkey          int64
	added         time.Time
	acc           auth.Access // TLP as stored: 0 when unmarked
	first, last   bool
}

// fuzzStore fills a store with versions of a few objects, with every TLP
// level, producer and recipient mix, and returns the model of what it holds.
func fuzzStore(tb testing.TB) (*Store, store.Collection, []model) {
	ctx := context.Background()
	s := openTest(tb, filepath.Join(tb.TempDir(), "fuzz.db"))
	tb.Cleanup(func() { s.Close() })
	c := store.Collection{ID: "fuzz", DefaultTLP: stix.TLPGreen}
	if err := s.CreateCollection(ctx, c); err != nil {
		tb.Fatal(err)
	}
	if err := s.CreateStatus(ctx, store.Status{ID: "st", Collection: c.ID}); err != nil {
		tb.Fatal(err)
	}
	rnd := rand.New(rand.NewPCG(1, 2)) // fixed: the model must be reproducible
	orgs := []string{"a", "b", "c"}
	pick := func() []string {
		var out []string
		for _, o := range orgs {
			if rnd.IntN(3) == 0 {
				out = append(out, o)
			}
		}
		return out
	}
	types := []string{"indicator", "malware", "ipv4-addr"}
	var ws []store.Write
	var ms []model
	for i := range 60 {
		n := rnd.IntN(8)
		typ := types[n%len(types)]
		o := &stix.Object{Type: typ, ID: fmt.Sprintf("%s--%d", typ, n), SpecVersion: "2.1", TLP: stix.TLP(rnd.IntN(6))}
		if typ != "ipv4-addr" {
			o.Created = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
			o.Modified = o.Created.Add(time.Duration(rnd.IntN(5)) * time.Second)
		}
		o.RecipientOrgs = pick()
		for _, r := range pick() {
			o.RecipientUsers = append(o.RecipientUsers, "u"+r)
		}
		o.Raw = []byte(fmt.Sprintf(`{"n":%d}`, i))
		p := orgs[rnd.IntN(len(orgs))]
		ws = append(ws, store.Write{Object: o, ProducerOrg: p, ProducerUser: "u" + p})
	}
	// Three calls, so that some versions land before, between and after
	// stored ones and first/last move on rows of earlier calls.
	var dates []time.Time
	for i := 0; i < len(ws); i += 20 {
		d, err := s.AddObjects(ctx, c.ID, "st", ws[i:i+20], nil)
		if err != nil {
			tb.Fatal(err)
		}
		dates = append(dates, d...)
	}
	for i, w := range ws {
		o := w.Object
		var vkey int64
		if o.Versioned() {
			vkey = o.Modified.UnixMicro()
		}
		if slices.ContainsFunc(ms, func(m model) bool { return m.id == o.ID && m.vkey == vkey }) {
			continue // a re-add changes nothing
		}
		ms = append(ms, model{id: o.ID, typ: o.Type, spec: o.SpecVersion, vkey: vkey, added: dates[i], acc: auth.Access{
			TLP: o.TLP, ProducerOrg: w.ProducerOrg, ProducerUser: w.ProducerUser,
			RecipientOrgs: o.RecipientOrgs, RecipientUsers: o.RecipientUsers,
		}})
	}
	for i := range ms {
		lo, hi := ms[i].vkey, ms[i].vkey
		for _, m := range ms {
			if m.id == ms[i].id {
				lo, hi = min(lo, m.vkey), max(hi, m.vkey)
			}
		}
		ms[i].first, ms[i].last = ms[i].vkey == lo, ms[i].vkey == hi
	}
	return s, c, ms
}

func splitList(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, ",")
}

// FuzzQuery checks Query against a model in Go for any filter and viewer:
// hostile strings in filters and names must neither break the SQL nor
// change what is returned.
func FuzzQuery(f *testing.F) {
	f.Add("", "", "", "a", "ua", "", uint8(0), uint8(2), uint8(100), uint8(0), uint8(0))
	f.Add("indicator--1,malware--2", "indicator", "2.1", "b", "ub", "a,c", uint8(0b111), uint8(0), uint8(3), uint8(5), uint8(2))
	f.Add("x') OR 1=1 --", `"]`, "2.0", "'", `\`, `"a"`, uint8(0b110001), uint8(5), uint8(1), uint8(200), uint8(9))
	s, c, ms := fuzzStore(f)
	ctx := context.Background()
	f.Fuzz(func(t *testing.T, ids, types, specs, org, user, clientOf string, flags, def, limit, after, at uint8) {
		v := auth.Viewer{
			User: user, Org: org, ClientOf: splitList(clientOf),
			Community: flags&1 != 0, InAudience: flags&2 != 0, ClientOfAudience: flags&4 != 0,
		}
		cc := c
		cc.DefaultTLP = stix.TLP(def % 8) // 6 and 7 are invalid: nothing unmarked is readable
		fl := store.Filter{IDs: splitList(ids), Types: splitList(types), SpecVersions: splitList(specs), Limit: int(limit)}
		fl.Versions = store.VersionMatch{First: flags&8 != 0, Last: flags&16 != 0, All: flags&32 != 0}
		var atVkey int64 = -1
		if flags&64 != 0 {
			atVkey = ms[int(at)%len(ms)].vkey
			fl.Versions.At = []time.Time{time.UnixMicro(atVkey)}
		}
		if int(after) < len(ms) {
			fl.AddedAfter = ms[after].added
		}

		p, err := s.Query(ctx, cc, v, fl, false)
		if limit == 0 {
			if err == nil {
				t.Fatal("Query with limit 0: no error")
			}
			return
		}
		if err != nil {
			t.Fatalf("Query: %v", err)
		}

		var want []string
		for _, m := range ms {
			acc := m.acc
			if acc.TLP == stix.TLPUnmarked {
				acc.TLP = cc.DefaultTLP
			}
			vm := fl.Versions
			versionOK := vm.All || vm.First && m.first || (vm.Last || !vm.First && len(vm.At) == 0) && m.last ||
				len(vm.At) > 0 && m.vkey != 0 && m.vkey == atVkey
			if !m.added.After(fl.AddedAfter) || !versionOK || !auth.CanRead(v, acc) ||
				len(fl.IDs) > 0 && !slices.Contains(fl.IDs, m.id) ||
				len(fl.Types) > 0 && !slices.Contains(fl.Types, m.typ) ||
				len(fl.SpecVersions) > 0 && !slices.Contains(fl.SpecVersions, m.spec) {
				continue
			}
			want = append(want, fmt.Sprintf("%s@%d", m.id, m.added.UnixMicro()))
		}
		wantMore := len(want) > fl.Limit
		if wantMore {
			want = want[:fl.Limit]
		}
		var got []string
		for _, e := range p.Entries {
			got = append(got, fmt.Sprintf("%s@%d", e.ID, e.DateAdded.UnixMicro()))
		}
		if !slices.Equal(got, want) || p.More != wantMore {
			t.Errorf("Query(%+v, %+v) = %v, More %v; want %v, More %v", fl, v, got, p.More, want, wantMore)
		}
	})
}
