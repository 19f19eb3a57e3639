package sqlite

import (
	"context"
	"fmt"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/entente/entente/internal/auth"
	"github.com/entente/entente/internal/stix"
	"github.com/entente/entente/internal/store"
)

// benchIndicator is a realistic indicator of about 500 bytes, with a TLP
// mix like a national exchange's: mostly GREEN and AMBER.
func benchIndicator(n int, at time.Time) *stix.Object {
	id := fmt.Sprintf("indicator--%08x-6c1b-4d0e-9a7f-%012x", n, n)
	tlps := []stix.TLP{stix.TLPGreen, stix.TLPGreen, stix.TLPAmber, stix.TLPClear, stix.TLPAmberStrict, stix.TLPUnmarked, stix.TLPRed}
	tlp := tlps[n%len(tlps)]
	ts := at.Format("2006-01-02T15:04:05.000Z")
	// A format string, not json.Marshal of a map: building objects is not
	// what is measured, and it runs in the same process as the store.
	raw := fmt.Appendf(nil, `{"type":"indicator","spec_version":"2.1","id":%q,"created":%q,"modified":%q,`+
		`"created_by_ref":"identity--5f2c1b1e-7d3a-4c4e-8a44-0d0f3b6c9e21","name":"C2 server of campaign %d",`+
		`"description":"IP address observed hosting command and control for a ransomware affiliate; seen in incident reports from two member CERTs.",`+
		`"indicator_types":["malicious-activity"],"pattern":"[ipv4-addr:value = '198.51.%d.%d']","pattern_type":"stix",`+
		`"valid_from":%q,"labels":["ransomware","c2"],"object_marking_refs":[%q]}`,
		id, ts, ts, n%97, n/256%256, n%256, ts, stix.MarkingTLPGreen)
	o := &stix.Object{Type: "indicator", ID: id, SpecVersion: "2.1", Created: at, Modified: at, TLP: tlp, Raw: raw}
	if tlp >= stix.TLPAmber && n%3 == 0 {
		o.RecipientOrgs = []string{"cert-b"}
		o.RecipientUsers = []string{"analyst-b"}
	}
	return o
}

type benchEnv struct {
	s    *Store
	coll store.Collection
	n    int
}

func newBenchEnv(b *testing.B) *benchEnv {
	ctx := context.Background()
	s, err := Open(ctx, Config{Path: filepath.Join(b.TempDir(), "entente.db")})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	coll := store.Collection{ID: "91a7b528-80eb-42ed-a74d-c6fbd5a26116", Title: "bench", ReadOrgs: []string{store.AllOrgs}, DefaultTLP: stix.TLPGreen}
	if err := s.CreateCollection(ctx, coll); err != nil {
		b.Fatal(err)
	}
	return &benchEnv{s: s, coll: coll}
}

// addBatch adds size new indicators in one AddObjects call.
func (e *benchEnv) addBatch(b *testing.B, size int) {
	ctx := context.Background()
	st := fmt.Sprintf("00000000-0000-4000-8000-%012x", e.n)
	if err := e.s.CreateStatus(ctx, store.Status{ID: st, Collection: e.coll.ID, User: "analyst-a", RequestTimestamp: time.Now(), Total: size}); err != nil {
		b.Fatal(err)
	}
	b.StopTimer() // making the objects is the caller's cost, not the store's
	ws := make([]store.Write, size)
	base := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	for i := range ws {
		e.n++
		ws[i] = store.Write{Object: benchIndicator(e.n, base.Add(time.Duration(e.n)*time.Millisecond)), ProducerOrg: "cert-a", ProducerUser: "analyst-a"}
	}
	b.StartTimer()
	if _, err := e.s.AddObjects(ctx, e.coll.ID, st, ws, nil); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkAddObjects ingests bundles of 1,000 indicators, as a TAXII POST
// of a large bundle does, into an empty store and into one already holding
// a million objects (its setup takes about a minute).
func BenchmarkAddObjects(b *testing.B) {
	const batch = 1000
	for _, stored := range []int{0, 1_000_000} {
		b.Run(fmt.Sprintf("stored=%d", stored), func(b *testing.B) {
			e := newBenchEnv(b)
			for e.n < stored {
				e.addBatch(b, batch)
			}
			b.ReportAllocs()
			cpu := cpuTime()
			for b.Loop() {
				e.addBatch(b, batch)
			}
			b.ReportMetric(float64(b.N*batch)/b.Elapsed().Seconds(), "objects/s")
			b.ReportMetric(float64(b.N*batch)/(cpuTime()-cpu).Seconds(), "objects/cpu-s")
		})
	}
}

// BenchmarkQueryPage pages through a collection 1,000 objects at a time,
// with raw, as a member reading everything it may read.
func BenchmarkQueryPage(b *testing.B) {
	for _, total := range []int{100_000, 1_000_000} {
		b.Run(fmt.Sprintf("objects=%d", total), func(b *testing.B) {
			e := newBenchEnv(b)
			for e.n < total {
				e.addBatch(b, 1000)
			}
			v := auth.Viewer{User: "analyst-c", Org: "cert-c", Community: true}
			ctx := context.Background()
			var after time.Time
			read := 0
			b.ReportAllocs()
			cpu := cpuTime()
			for b.Loop() {
				p, err := e.s.Query(ctx, e.coll, v, store.Filter{AddedAfter: after, Limit: 1000}, true)
				if err != nil {
					b.Fatal(err)
				}
				read += len(p.Entries)
				after = time.Time{}
				if p.More {
					after = p.Entries[len(p.Entries)-1].DateAdded
				}
			}
			b.ReportMetric(float64(read)/b.Elapsed().Seconds(), "objects/s")
			b.ReportMetric(float64(read)/(cpuTime()-cpu).Seconds(), "objects/cpu-s")
		})
	}
}

// cpuTime is the CPU time this process has used, user and system. On a
// shared machine objects per CPU second is steadier than per wall second;
// it includes the (untimed) object generation of BenchmarkAddObjects, so
// it understates the store's own rate there.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
