package chainindex

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/entente/entente/internal/cluster"
)

// TestTxView checks every transaction's view against the graph accessors
// and against the addresses seen so far, recounted here in chain order.
func TestTxView(t *testing.T) {
	ix, _ := simIndex(t, 5_000)
	st, _ := ix.Stats()
	seen := map[uint32]bool{}
	var v cluster.Tx
	var spent, fresh, reused int
	for tx := range uint32(st.Txs) {
		if err := ix.TxView(tx, &v); err != nil {
			t.Fatal(err)
		}
		if v.FP != ix.TxFingerprint(tx) {
			t.Fatalf("tx %d: fingerprint %08b, want %08b", tx, v.FP, ix.TxFingerprint(tx))
		}
		ins, _ := ix.TxInputs(tx, nil)
		if v.Coinbase != (len(ins) == 0) || len(v.Ins) != len(ins) {
			t.Fatalf("tx %d: coinbase %v with %d inputs, want %d", tx, v.Coinbase, len(v.Ins), len(ins))
		}
		for i, in := range ins {
			if v.Ins[i].Addr != in.Address || v.Ins[i].Value != in.Value {
				t.Fatalf("tx %d input %d: %+v, want %+v", tx, i, v.Ins[i], in)
			}
		}
		outs, _ := ix.TxOutputs(tx, nil)
		if len(v.Outs) != len(outs) {
			t.Fatalf("tx %d: %d outputs, want %d", tx, len(v.Outs), len(outs))
		}
		for i, o := range outs {
			got := v.Outs[i]
			if got.Addr != o.Address || got.Value != o.Value || (o.Address != cluster.NoAddress && got.Seen != seen[o.Address]) {
				t.Fatalf("tx %d output %d: %+v, want %+v seen %v", tx, i, got, o, seen[o.Address])
			}
			s, ok, _ := ix.SpendingTx(o.ID)
			if got.Spent != ok || (ok && got.SpenderFP != ix.TxFingerprint(s)) {
				t.Fatalf("tx %d output %d: spent %v by fingerprint %08b, want %v by %d", tx, i, got.Spent, got.SpenderFP, ok, s)
			}
			if ok {
				spent++
				so, _ := ix.TxOutputs(s, nil)
				si, _ := ix.TxInputs(s, nil)
				if int(got.SpenderOuts) != len(so) || int(got.SpenderIns) != len(si) {
					t.Fatalf("tx %d output %d: spender of %d/%d, want %d/%d", tx, i, got.SpenderIns, got.SpenderOuts, len(si), len(so))
				}
			}
			if got.Addr != cluster.NoAddress {
				if got.Seen {
					reused++
				} else {
					fresh++
				}
				if got.Class == 0 {
					t.Fatalf("tx %d output %d: address without a script class", tx, i)
				}
			}
		}
		for _, o := range outs {
			seen[o.Address] = true
		}
	}
	if spent == 0 || fresh == 0 || reused == 0 {
		t.Errorf("economy too plain to test: %d spent, %d fresh, %d reused outputs", spent, fresh, reused)
	}
}

// TestTxViewAllocs: a pass allocates nothing per transaction once the
// view's slices have grown.
func TestTxViewAllocs(t *testing.T) {
	ix, _ := simIndex(t, 2_000)
	st, _ := ix.Stats()
	var v cluster.Tx
	pass := func() {
		for tx := range uint32(st.Txs) {
			if err := ix.TxView(tx, &v); err != nil {
				t.Fatal(err)
			}
			cluster.Change(&v, cluster.AllHeuristics)
		}
	}
	pass()
	if n := testing.AllocsPerRun(3, pass); n != 0 {
		t.Errorf("%v allocations per pass of %d transactions, want 0", n, st.Txs)
	}
}

// partition maps every address to the smallest address of its cluster, so
// two forests compare whatever their roots.
func partition(ov *cluster.Overlay) []uint32 {
	least := map[uint32]uint32{}
	out := make([]uint32, ov.Forest.Len())
	for id := range uint32(ov.Forest.Len()) {
		r := ov.Root(id)
		if _, ok := least[r]; !ok {
			least[r] = id
		}
		out[id] = least[r]
	}
	return out
}

// TestChangeClustersIncremental: updating the overlay every few blocks as
// they arrive gives the clusters of one pass over the whole chain.
func TestChangeClustersIncremental(t *testing.T) {
	whole, chainDir := simIndex(t, 20_000)
	files, err := filepath.Glob(filepath.Join(chainDir, "blocks", "blk*.dat"))
	if err != nil || len(files) == 0 {
		t.Fatalf("block files: %v %v", files, err)
	}
	var blocks [][]byte
	for _, f := range files {
		blocks = append(blocks, chainBlocks(t, f)...)
	}
	ctx := context.Background()
	for _, h := range []cluster.Heuristics{cluster.ByType, cluster.Broad, cluster.AllHeuristics | cluster.Vote, cluster.ByPeel,
		cluster.BySweep, cluster.Careful | cluster.BySweep} {
		t.Run(h.String(), func(t *testing.T) {
			want := &cluster.Overlay{Heuristics: h, Limit: -1}
			if err := whole.ChangeClusters(ctx, want); err != nil {
				t.Fatal(err)
			}
			if want.Merges == 0 {
				t.Fatalf("%s made no change merge on the whole chain", h)
			}
			if h&cluster.BySweep != 0 && (want.Sweeps == 0 || want.Collectors == 0) {
				t.Fatalf("%s merged %d sweeps into %d collectors on the whole chain", h, want.Sweeps, want.Collectors)
			}
			ix := openIndex(t, t.TempDir(), func(c *Config) { c.CommitEvery = 7 })
			defer ix.Close()
			got := &cluster.Overlay{Heuristics: h, Limit: -1}
			for i, raw := range blocks {
				addRaw(t, ix, raw)
				if i%9 == 3 || i == len(blocks)-1 {
					if err := ix.ChangeClusters(ctx, got); err != nil {
						t.Fatal(err)
					}
				}
			}
			if got.Txs != want.Txs || got.Forest.Len() != want.Forest.Len() {
				t.Fatalf("covers %d txs, %d addresses; want %d, %d", got.Txs, got.Forest.Len(), want.Txs, want.Forest.Len())
			}
			if got.Changes != want.Changes {
				t.Errorf("%d change outputs block by block, %d in one pass", got.Changes, want.Changes)
			}
			if got.Sweeps != want.Sweeps || got.Collectors != want.Collectors {
				t.Errorf("%d sweeps into %d collectors block by block, %d into %d in one pass",
					got.Sweeps, got.Collectors, want.Sweeps, want.Collectors)
			}
			g, w := partition(got), partition(want)
			diff := 0
			for id := range g {
				if g[id] != w[id] {
					diff++
				}
			}
			if diff > 0 {
				t.Errorf("%d of %d addresses in another cluster block by block than in one pass", diff, len(g))
			}
		})
	}
}

// BenchmarkChangeClusters measures the pass over the whole chain.
func BenchmarkChangeClusters(b *testing.B) {
	chainDir := simChain(b, 20_000)
	ix := openIndex(b, b.TempDir(), nil)
	defer ix.Close()
	ingest(b, ix, filepath.Join(chainDir, "blocks"))
	st, _ := ix.Stats()
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		ov := &cluster.Overlay{Heuristics: cluster.AllHeuristics}
		if err := ix.ChangeClusters(context.Background(), ov); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(st.Txs)*float64(b.N)/b.Elapsed().Seconds(), "tx/s")
}
