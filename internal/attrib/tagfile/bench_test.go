package tagfile

import (
	"context"
	"fmt"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/entente/entente/internal/attrib"
)

// BenchmarkOpen loads a file of 200,000 tags shaped like GraphSense's
// (few labels and sources, one address each) and reports the load rate
// and the memory a loaded tag takes, which bounds how many a node holds.
func BenchmarkOpen(b *testing.B) {
	const n = 200_000
	ctx := context.Background()
	path := filepath.Join(b.TempDir(), "tags.jsonl")
	w, err := Open(ctx, Config{Path: path})
	if err != nil {
		b.Fatal(err)
	}
	tags := make([]attrib.Tag, n)
	for i := range tags {
		tags[i] = attrib.Tag{Address: fmt.Sprintf("1Addr%029d", i), Currency: "BTC", Category: attrib.Exchange,
			Label: fmt.Sprintf("exchange %d", i%900), Actor: fmt.Sprintf("actor%d", i%900),
			Source: "https://www.walletexplorer.com/", Confidence: 50}
	}
	if _, err := w.Append(ctx, tags); err != nil {
		b.Fatal(err)
	}
	w.Close()
	b.ReportAllocs()
	b.ResetTimer()
	var before, after runtime.MemStats
	for b.Loop() {
		runtime.GC()
		runtime.ReadMemStats(&before)
		f, err := Open(ctx, Config{Path: path, ReadOnly: true})
		if err != nil {
			b.Fatal(err)
		}
		runtime.GC()
		runtime.ReadMemStats(&after)
		if f.Len() != n {
			b.Fatalf("%d tags", f.Len())
		}
		b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/n, "heap-B/tag")
		runtime.KeepAlive(f)
	}
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "tags/s")
}
