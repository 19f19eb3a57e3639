package taxii_test

// Benchmarks of the TAXII server as clients see it: over real HTTPS (TLS
// 1.3), on each store. BENCHMARKS.md quotes them.
//
//	go test -run='^$' -bench=TAXII -benchtime=1x ./internal/taxii/
//
// ENTENTE_BENCH_SIZES lists the store sizes (objects already held) at which
// to measure, default "0,100000"; "0,100000,1000000" shows whether the
// figures stay flat as the store grows, and also walks all of the largest
// collection with a standard client paging by added_after, checking that no
// object is lost or repeated.

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime/debug"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/entente/entente/internal/auth"
	"github.com/entente/entente/internal/node"
	"github.com/entente/entente/internal/stix"
	"github.com/entente/entente/internal/store"
	"github.com/entente/entente/internal/store/postgres"
	"github.com/entente/entente/internal/store/postgres/pgtest"
	"github.com/entente/entente/internal/store/sqlite"
	"github.com/entente/entente/internal/taxii"
	"github.com/entente/entente/internal/taxiiclient"
)

const benchCollection = "5e7d2c1a-9f3b-4d8e-a6c4-1b2d3e4f5a60"

// benchIndicator is a realistic indicator of about 600 bytes: a sanctioned
// wallet with a description, labels, a kill chain phase and an external
// reference, TLP:GREEN.
func benchIndicator(n int) json.RawMessage {
	return json.RawMessage(fmt.Sprintf(`{"type":"indicator","spec_version":"2.1","id":"indicator--%08x-4b1e-4c2d-9e3f-%012x",`+
		`"created":"2026-05-01T08:00:00.000Z","modified":"2026-05-01T08:00:00.000Z","name":"Ransomware payment wallet %d",`+
		`"description":"Bitcoin address that received ransom payments from victims in the energy sector; funds were peeled through several hops before reaching a custodial exchange.",`+
		`"indicator_types":["malicious-activity","attribution"],"pattern":"[cryptocurrency-wallet:value = 'bc1q%032x']","pattern_type":"stix",`+
		`"valid_from":"2026-05-01T08:00:00Z","labels":["ransomware","bitcoin"],"kill_chain_phases":[{"kill_chain_name":"mitre-attack","phase_name":"impact"}],`+
		`"external_references":[{"source_name":"entente-case","external_id":"CASE-2026-%06d"}],"object_marking_refs":["%s"]}`,
		n, n, n, n, n%1000000, stix.MarkingTLPGreen))
}

type benchNode struct {
	st     store.Store
	client *taxiiclient.Client
}

func newBenchNode(b *testing.B, backend string) *benchNode {
	b.Helper()
	if _, ok := os.LookupEnv("GOGC"); !ok {
		// The collector setting of entente serve, which this process stands for.
		b.Cleanup(func(old int) func() { return func() { debug.SetGCPercent(old) } }(debug.SetGCPercent(node.GCPercent)))
	}
	ctx := context.Background()
	var st store.Store
	var err error
	switch backend {
	case "sqlite":
		st, err = sqlite.Open(ctx, sqlite.Config{Path: filepath.Join(b.TempDir(), "entente.db")})
	case "postgres":
		st, err = postgres.Open(ctx, postgres.Config{URL: pgtest.Start(b)})
	}
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { st.Close() })
	now := time.Now()
	must := func(err error) {
		if err != nil {
			b.Fatal(err)
		}
	}
	must(st.CreateOrg(ctx, auth.Org{Name: "nl", Kind: auth.KindMember, Created: now}))
	must(st.CreateUser(ctx, auth.User{Name: "bench", Org: "nl", Role: auth.RoleAnalyst, Created: now}))
	secret, tok, err := auth.NewToken(nil, "bench", now, 0)
	must(err)
	must(st.CreateToken(ctx, tok))
	must(st.CreateCollection(ctx, store.Collection{ID: benchCollection, Title: "bench",
		ReadOrgs: []string{store.AllOrgs}, WriteOrgs: []string{"nl"}, DefaultTLP: stix.TLPAmber, Created: now}))
	s, err := taxii.New(taxii.Config{Store: st, NextKey: make([]byte, 32)})
	must(err)
	srv := httptest.NewUnstartedServer(s)
	srv.TLS = &tls.Config{MinVersion: tls.VersionTLS13}
	srv.StartTLS()
	b.Cleanup(srv.Close)
	return &benchNode{st: st, client: &taxiiclient.Client{APIRoot: srv.URL + "/api1/", HTTP: srv.Client(), User: "bench", Token: secret}}
}

// fill brings the collection to n objects, straight through the store.
func (bn *benchNode) fill(b *testing.B, from, to int) {
	ctx := context.Background()
	for i := from; i < to; i += 1000 {
		ws := make([]store.Write, 0, 1000)
		for j := i; j < min(i+1000, to); j++ {
			o, err := stix.Parse(benchIndicator(j))
			if err != nil {
				b.Fatal(err)
			}
			ws = append(ws, store.Write{Object: o, ProducerOrg: "nl", ProducerUser: "bench"})
		}
		sid := fmt.Sprintf("fill-%d", i)
		if err := bn.st.CreateStatus(ctx, store.Status{ID: sid, Collection: benchCollection, User: "bench", RequestTimestamp: time.Now(), Total: len(ws)}); err != nil {
			b.Fatal(err)
		}
		if _, err := bn.st.AddObjects(ctx, benchCollection, sid, ws, nil); err != nil {
			b.Fatal(err)
		}
	}
}

func benchSizes(b *testing.B) []int {
	s := os.Getenv("ENTENTE_BENCH_SIZES")
	if s == "" {
		s = "0,100000"
	}
	var out []int
	for _, f := range strings.Split(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 0 {
			b.Fatalf("ENTENTE_BENCH_SIZES: bad size %q", f)
		}
		out = append(out, n)
	}
	return out
}

func BenchmarkTAXII(b *testing.B) {
	for _, backend := range []string{"sqlite", "postgres"} {
		b.Run(backend, func(b *testing.B) {
			bn := newBenchNode(b, backend)
			held := 0
			next := 10_000_000 // ids for ingested objects, apart from the fill's
			for _, size := range benchSizes(b) {
				if size > held {
					bn.fill(b, held, size)
					held = size
					// Let the kernel write back what the fill left dirty, so
					// that the figures are those of a store that holds size
					// objects, not of one still flushing them.
					syscall.Sync()
				}
				// POST bundles of 1,000 new indicators, from one client and
				// from four at once (a node has several producers).
				for _, clients := range []int{1, 4} {
					b.Run(fmt.Sprintf("ingest/held=%d/clients=%d", size, clients), func(b *testing.B) {
						const bundles = 20 // per client
						b.ReportAllocs()
						var objs int
						var elapsed time.Duration
						for b.Loop() {
							batches := make([][][]json.RawMessage, clients)
							for c := range batches {
								for range bundles {
									batch := make([]json.RawMessage, 1000)
									for j := range batch {
										batch[j] = benchIndicator(next)
										next++
									}
									batches[c] = append(batches[c], batch)
								}
							}
							start := time.Now()
							errs := make(chan error, clients)
							for c := range clients {
								go func() {
									for _, batch := range batches[c] {
										st, err := bn.client.Add(context.Background(), benchCollection, batch)
										if err == nil && st.SuccessCount != len(batch) {
											err = fmt.Errorf("POST: %d of %d stored: %+v", st.SuccessCount, len(batch), st.Failures)
										}
										if err != nil {
											errs <- err
											return
										}
									}
									errs <- nil
								}()
							}
							for range clients {
								if err := <-errs; err != nil {
									b.Fatal(err)
								}
							}
							elapsed += time.Since(start)
							objs += clients * bundles * 1000
						}
						b.ReportMetric(float64(objs)/elapsed.Seconds(), "objects/s")
					})
				}
				// GET 100,000 objects in pages of 1,000 (by next).
				b.Run(fmt.Sprintf("get/held=%d", size), func(b *testing.B) {
					if size < 100_000 {
						b.Skip("fewer than 100,000 objects held")
					}
					ctx := context.Background()
					b.ReportAllocs()
					var objs int
					var elapsed time.Duration
					for b.Loop() {
						start := time.Now()
						n := 0
						err := bn.client.Walk(ctx, benchCollection, nil, 1000, taxiiclient.ByNext, func(o []json.RawMessage) error {
							n += len(o)
							if n >= 100_000 {
								return errStop
							}
							return nil
						})
						if err != nil && err != errStop {
							b.Fatal(err)
						}
						elapsed += time.Since(start)
						objs += n
					}
					b.ReportMetric(float64(objs)/elapsed.Seconds(), "objects/s")
				})
			}
			// A standard client pages through everything by added_after.
			if os.Getenv("ENTENTE_BENCH_WALK") != "" {
				b.Run("walk-all-by-added_after", func(b *testing.B) {
					for b.Loop() {
						seen := make(map[string]struct{})
						start := time.Now()
						err := bn.client.Walk(context.Background(), benchCollection, nil, 1000, taxiiclient.ByAddedAfter, func(o []json.RawMessage) error {
							for _, raw := range o {
								var h struct{ ID string }
								if err := json.Unmarshal(raw, &h); err != nil {
									return err
								}
								if _, dup := seen[h.ID]; dup {
									return fmt.Errorf("object %s served twice", h.ID)
								}
								seen[h.ID] = struct{}{}
							}
							return nil
						})
						if err != nil {
							b.Fatal(err)
						}
						stats, _ := bn.st.Stats(context.Background())
						if int64(len(seen)) != stats.Objects {
							b.Fatalf("walked %d objects, store holds %d", len(seen), stats.Objects)
						}
						b.ReportMetric(float64(len(seen))/time.Since(start).Seconds(), "objects/s")
						b.ReportMetric(float64(len(seen)), "objects")
					}
				})
			}
		})
	}
}

var errStop = fmt.Errorf("stop")
