package chainindex

import (
	"context"
	"os"
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

// BenchmarkIngestBlocks indexes the block files named by
// ENTENTE_BENCH_BLOCKS (a blocks directory, such as one written by
// `entente sim generate --txs 10000000`), for measuring ingest at scale
// with the test tool's profilers. It is skipped without the variable.
func BenchmarkIngestBlocks(b *testing.B) {
	dir := os.Getenv("ENTENTE_BENCH_BLOCKS")
	if dir == "" {
		b.Skip("ENTENTE_BENCH_BLOCKS names no blocks directory")
	}
	src, err := OpenSource(dir)
	if err != nil {
		b.Fatal(err)
	}
	var txs int
	var elapsed time.Duration
	var st Stats
	for range b.N {
		ix := openIndex(b, b.TempDir(), nil)
		start := time.Now()
		is, err := ix.Ingest(context.Background(), src)
		if err != nil {
			b.Fatal(err)
		}
		elapsed += time.Since(start)
		txs += is.Txs
		if st, err = ix.Stats(); err != nil {
			b.Fatal(err)
		}
		ix.Close()
	}
	b.ReportMetric(float64(txs)/elapsed.Seconds(), "tx/s")
	b.ReportMetric(st.BytesPerTx, "bytes/tx")
}
