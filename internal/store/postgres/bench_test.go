package postgres_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/entente/entente/internal/auth"
	"github.com/entente/entente/internal/stix"
	"github.com/entente/entente/internal/store"
	"github.com/entente/entente/internal/store/postgres"
)

// write is the n-th of a stream of distinct indicators of about 500 bytes,
// the size of a typical shared IoC.
func write(n int, tlp stix.TLP, org, user string) store.Write {
	id := fmt.Sprintf("indicator--%08x-7d8e-4f3a-9b1c-%012x", n, n)
	ts := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(n) * time.Millisecond)
	t := ts.Format("2006-01-02T15:04:05.000Z")
	raw := fmt.Sprintf(`{"type":"indicator","spec_version":"2.1","id":%q,"created":%q,"modified":%q,`+
		`"name":"C2 server %d","description":%q,"indicator_types":["malicious-activity"],`+
		`"pattern":"[ipv4-addr:value = '198.51.%d.%d']","pattern_type":"stix","valid_from":%q,`+
		`"object_marking_refs":[%q]}`,
		id, t, t, n, strings.Repeat("observed beaconing ", 8), n/256%256, n%256, t, stix.MarkingTLPGreen)
	return store.Write{
		Object: &stix.Object{Type: "indicator", ID: id, SpecVersion: "2.1", Created: ts, Modified: ts,
			TLP: tlp, Raw: []byte(raw)},
		ProducerOrg: org, ProducerUser: user,
	}
}

func BenchmarkAddObjects(b *testing.B) {
	ctx := context.Background()
	s := open(b, postgres.NewTestDB(b), nil)
	defer s.Close()
	c := setup(b, s)
	const batch = 1000
	st := newStatus(b, s, c)
	b.ReportAllocs()
	b.ResetTimer()
	n := 0
	for b.Loop() {
		ws := make([]store.Write, batch)
		for i := range ws {
			n++
			ws[i] = write(n, stix.TLPGreen, "org1", "u1")
		}
		if _, err := s.AddObjects(ctx, c.ID, st, ws, nil); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "objects/s")
}

func BenchmarkQueryPage(b *testing.B) {
	ctx := context.Background()
	s := open(b, postgres.NewTestDB(b), nil)
	defer s.Close()
	c := setup(b, s)
	const total, page = 100_000, 1000
	st := newStatus(b, s, c)
	for start := 0; start < total; start += page {
		ws := make([]store.Write, page)
		for i := range ws {
			ws[i] = write(start+i, stix.TLPGreen, "org1", "u1")
		}
		if _, err := s.AddObjects(ctx, c.ID, st, ws, nil); err != nil {
			b.Fatal(err)
		}
	}
	v := auth.Viewer{User: "u1", Org: "org1", Community: true}
	b.ReportAllocs()
	b.ResetTimer()
	var after time.Time
	n := 0
	for b.Loop() {
		p, err := s.Query(ctx, c, v, store.Filter{AddedAfter: after, Limit: page}, true)
		if err != nil {
			b.Fatal(err)
		}
		n += len(p.Entries)
		if p.More {
			after = p.Entries[len(p.Entries)-1].DateAdded
		} else {
			after = time.Time{}
		}
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "objects/s")
}
