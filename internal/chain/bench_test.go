package chain

import (
	"bytes"
	"crypto/sha256"
	"testing"
	"time"

	"github.com/btcsuite/btcd/wire"
)

// benchSets are the real data the three benchmarks share: the 2019 block
// (3,315 txs, 1,341 segwit) and the 2009 blk file (14,132 small blocks).
func benchSets(b *testing.B) []struct {
	name   string
	blocks [][]byte
} {
	b.Helper()
	return []struct {
		name   string
		blocks [][]byte
	}{
		{"block574200", [][]byte{readTestdata(b, block2019)}},
		{"blk0to14131", fileBlocks(b, readTestdata(b, blkFile))},
	}
}

func totals(blocks [][]byte) (size, txs int) {
	for _, raw := range blocks {
		size += len(raw)
		blk, _ := ParseBlock(raw)
		txs += len(blk.Txs)
	}
	return size, txs
}

func report(b *testing.B, txs int) {
	b.ReportMetric(float64(txs)*float64(b.N)/b.Elapsed().Seconds(), "tx/s")
}

// BenchmarkParse is our parser: every block parsed, every txid computed.
func BenchmarkParse(b *testing.B) {
	for _, s := range benchSets(b) {
		b.Run(s.name, func(b *testing.B) {
			size, txs := totals(s.blocks)
			var blk Block
			b.SetBytes(int64(size))
			b.ReportAllocs()
			for b.Loop() {
				parseOurs(b, &blk, s.blocks)
			}
			report(b, txs)
		})
	}
}

// BenchmarkParseBtcd is the reference: wire.MsgBlock.Deserialize and
// TxHash of every transaction.
func BenchmarkParseBtcd(b *testing.B) {
	for _, s := range benchSets(b) {
		b.Run(s.name, func(b *testing.B) {
			size, txs := totals(s.blocks)
			b.SetBytes(int64(size))
			b.ReportAllocs()
			for b.Loop() {
				parseBtcd(b, s.blocks)
			}
			report(b, txs)
		})
	}
}

// txidBytes returns, per transaction, the bytes its txid is the hash of.
func txidBytes(b *testing.B, blocks [][]byte) [][]byte {
	b.Helper()
	var pieces [][]byte
	for _, raw := range blocks {
		var mb wire.MsgBlock
		if err := mb.Deserialize(bytes.NewReader(raw)); err != nil {
			b.Fatal(err)
		}
		for _, tx := range mb.Transactions {
			var buf bytes.Buffer
			if err := tx.SerializeNoWitness(&buf); err != nil {
				b.Fatal(err)
			}
			pieces = append(pieces, buf.Bytes())
		}
	}
	return pieces
}

func parseOurs(b *testing.B, blk *Block, blocks [][]byte) {
	for _, raw := range blocks {
		if err := blk.Parse(raw); err != nil {
			b.Fatal(err)
		}
	}
}

func parseBtcd(b *testing.B, blocks [][]byte) {
	for _, raw := range blocks {
		var mb wire.MsgBlock
		if err := mb.Deserialize(bytes.NewReader(raw)); err != nil {
			b.Fatal(err)
		}
		for _, tx := range mb.Transactions {
			_ = tx.TxHash()
		}
	}
}

func hashAll(pieces [][]byte) {
	for _, p := range pieces {
		h := sha256.Sum256(p)
		_ = sha256.Sum256(h[:])
	}
}

// BenchmarkCompare runs ours, btcd and the SHA-256 bound in alternation
// within each iteration, so that load from other processes on the machine
// falls on all three alike; it reports each rate and the two ratios.
func BenchmarkCompare(b *testing.B) {
	for _, s := range benchSets(b) {
		b.Run(s.name, func(b *testing.B) {
			_, txs := totals(s.blocks)
			pieces := txidBytes(b, s.blocks)
			var blk Block
			var ours, btcd, bound time.Duration
			for b.Loop() {
				t0 := time.Now()
				parseOurs(b, &blk, s.blocks)
				t1 := time.Now()
				parseBtcd(b, s.blocks)
				t2 := time.Now()
				hashAll(pieces)
				t3 := time.Now()
				ours, btcd, bound = ours+t1.Sub(t0), btcd+t2.Sub(t1), bound+t3.Sub(t2)
			}
			n := float64(txs) * float64(b.N)
			b.ReportMetric(n/ours.Seconds(), "ours-tx/s")
			b.ReportMetric(n/btcd.Seconds(), "btcd-tx/s")
			b.ReportMetric(n/bound.Seconds(), "bound-tx/s")
			b.ReportMetric(btcd.Seconds()/ours.Seconds(), "x-btcd")
			b.ReportMetric(bound.Seconds()/ours.Seconds(), "of-bound")
		})
	}
}

// BenchmarkSHA256Bound is the floor no parser can beat: double SHA-256
// over exactly the bytes that define each txid, laid out contiguously in
// advance.
func BenchmarkSHA256Bound(b *testing.B) {
	for _, s := range benchSets(b) {
		b.Run(s.name, func(b *testing.B) {
			size, txs := totals(s.blocks)
			pieces := txidBytes(b, s.blocks)
			b.SetBytes(int64(size))
			b.ReportAllocs()
			for b.Loop() {
				hashAll(pieces)
			}
			report(b, txs)
		})
	}
}
