package sim

import (
	"context"
	"runtime"
	"testing"
	"time"
)

// BenchmarkGenerate reports the generation rate with the default profile
// and the heap in use at the end (bounded by the actors, not the length).
func BenchmarkGenerate(b *testing.B) {
	const txs = 200_000
	b.ReportAllocs()
	var total time.Duration
	for i := 0; b.Loop(); i++ {
		start := time.Now()
		if _, err := Generate(context.Background(), b.TempDir(), Config{Seed: uint64(i), Txs: txs}); err != nil {
			b.Fatal(err)
		}
		total += time.Since(start)
	}
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	b.ReportMetric(float64(txs*b.N)/total.Seconds(), "tx/s")
	b.ReportMetric(float64(ms.HeapSys)/(1<<20), "heap-MiB")
}

// BenchmarkProfiles reports each profile's generation rate on the same
// economy size (go test -bench Profiles -benchtime 1x for one run each).
func BenchmarkProfiles(b *testing.B) {
	const txs = 200_000
	for _, name := range Profiles() {
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			var total time.Duration
			for i := 0; b.Loop(); i++ {
				start := time.Now()
				if _, err := Generate(context.Background(), b.TempDir(), Config{Seed: uint64(i), Txs: txs, Profile: name}); err != nil {
					b.Fatal(err)
				}
				total += time.Since(start)
			}
			b.ReportMetric(float64(txs*b.N)/total.Seconds(), "tx/s")
		})
	}
}
