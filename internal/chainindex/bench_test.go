package chainindex

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/entente/entente/internal/sim"
)

// BenchmarkIngest indexes a synthetic chain end to end: read blk files,
// parse, index, cluster, commit.
func BenchmarkIngest(b *testing.B) {
	const txs = 200_000
	chainDir := b.TempDir()
	if _, err := sim.Generate(context.Background(), chainDir, sim.Config{Seed: 1, Txs: txs}); err != nil {
		b.Fatal(err)
	}
	src, err := OpenSource(filepath.Join(chainDir, "blocks"))
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	var elapsed time.Duration
	var st Stats
	for range b.N {
		ix := openIndex(b, b.TempDir(), nil)
		start := time.Now()
		if _, err := ix.Ingest(context.Background(), src); err != nil {
			b.Fatal(err)
		}
		elapsed += time.Since(start)
		if st, err = ix.Stats(); err != nil {
			b.Fatal(err)
		}
		ix.Close()
	}
	b.ReportMetric(float64(txs)*float64(b.N)/elapsed.Seconds(), "tx/s")
	b.ReportMetric(st.BytesPerTx, "bytes/tx")
}
