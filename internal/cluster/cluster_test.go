package cluster

import (
	"testing"
)

// slices is a Sets in memory, the small real implementation tests use.
type forest struct{ parent, size []uint32 }

func newForest(n int) *forest {
	f := &forest{parent: make([]uint32, n), size: make([]uint32, n)}
	for i := range n {
		f.parent[i], f.size[i] = uint32(i), 1
	}
	return f
}

func (f *forest) Parent(id uint32) uint32     { return f.parent[id] }
func (f *forest) SetParent(id, p uint32)      { f.parent[id] = p }
func (f *forest) Size(id uint32) uint32       { return f.size[id] }
func (f *forest) SetSize(id uint32, n uint32) { f.size[id] = n }

func TestDetectCoinJoin(t *testing.T) {
	const btc = 100_000_000
	tests := []struct {
		name    string
		inputs  []uint32
		outputs []int64
		want    CoinJoin
	}{
		{"payment with change", []uint32{1, 2}, []int64{5 * btc, 123_456}, NotCoinJoin},
		{"one input address", []uint32{1, 1, 1}, []int64{btc, btc, btc, btc}, NotCoinJoin},
		{"batch of distinct values", []uint32{1, 2, 3}, []int64{1, 2, 3, 4, 5, 6}, NotCoinJoin},
		{"whirlpool 5x5", []uint32{1, 2, 3, 4, 5}, []int64{5e6, 5e6, 5e6, 5e6, 5e6}, Whirlpool},
		{"wasabi round", []uint32{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11},
			[]int64{1e7, 1e7, 1e7, 1e7, 1e7, 1e7, 1e7, 1e7, 1e7, 1e7, 33, 44, 55, 30_000}, Wasabi},
		{"joinmarket two parties", []uint32{1, 2, 2}, []int64{2e6, 2e6, 777, 888}, JoinMarket},
		{"joinmarket needs distinct inputs", []uint32{1, 2}, []int64{2e6, 2e6, 2e6 + 1, 5, 6}, NotCoinJoin},
		{"generic three equal", []uint32{7, 8}, []int64{1000, 1000, 1000, 5}, Generic},
		{"zero values are not equal outputs", []uint32{1, 2}, []int64{0, 0, 0, 9}, NotCoinJoin},
		{"no outputs", []uint32{1, 2}, nil, NotCoinJoin},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := DetectCoinJoin(tt.inputs, tt.outputs); got != tt.want {
				t.Errorf("DetectCoinJoin = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestAddTx(t *testing.T) {
	tests := []struct {
		name        string
		limit       int
		txs         [][]uint32 // input addresses of each tx (outputs distinct)
		wantSame    [][2]uint32
		wantApart   [][2]uint32
		wantRefused int
		wantMerges  uint64
	}{
		{name: "multi-input merges", txs: [][]uint32{{0, 1, 2}, {3, 4}},
			wantSame: [][2]uint32{{0, 2}, {1, 2}, {3, 4}}, wantApart: [][2]uint32{{0, 3}}, wantMerges: 3},
		{name: "transitive", txs: [][]uint32{{0, 1}, {1, 2}, {2, 3}},
			wantSame: [][2]uint32{{0, 3}}, wantMerges: 3},
		{name: "single input merges nothing", txs: [][]uint32{{5}, {5, 5}},
			wantApart: [][2]uint32{{5, 6}}, wantMerges: 0},
		{name: "guard refuses two big clusters", limit: 2, txs: [][]uint32{{0, 1, 2}, {3, 4, 5}, {0, 3}},
			wantApart: [][2]uint32{{0, 3}}, wantRefused: 1, wantMerges: 4},
		{name: "guard lets a small cluster join a big one", limit: 2, txs: [][]uint32{{0, 1, 2}, {2, 7}},
			wantSame: [][2]uint32{{0, 7}}, wantMerges: 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newForest(10)
			c := &Clusterer{Sets: f, Limit: tt.limit}
			var refused []Refusal
			for _, in := range tt.txs {
				_, refused = c.AddTx(in, []int64{1, 2}, refused)
			}
			for _, p := range tt.wantSame {
				if Find(f, p[0]) != Find(f, p[1]) {
					t.Errorf("%d and %d apart", p[0], p[1])
				}
			}
			for _, p := range tt.wantApart {
				if Find(f, p[0]) == Find(f, p[1]) {
					t.Errorf("%d and %d merged", p[0], p[1])
				}
			}
			if len(refused) != tt.wantRefused || c.Merges != tt.wantMerges {
				t.Errorf("refused %v, merges %d; want %d refusals, %d merges", refused, c.Merges, tt.wantRefused, tt.wantMerges)
			}
			for _, r := range refused {
				if r.Reason != ReasonSize || r.SizeA <= uint32(tt.limit) || r.SizeB <= uint32(tt.limit) {
					t.Errorf("refusal %+v", r)
				}
			}
			// Sizes of roots add up to all ids.
			var total uint32
			for id := range uint32(10) {
				if Find(f, id) == id {
					total += f.Size(id)
				}
			}
			if total != 10 {
				t.Errorf("root sizes sum to %d, want 10", total)
			}
		})
	}
}

func TestCoinJoinSkipped(t *testing.T) {
	f := newForest(6)
	c := &Clusterer{Sets: f}
	kind, _ := c.AddTx([]uint32{0, 1, 2, 3, 4}, []int64{5e6, 5e6, 5e6, 5e6, 5e6}, nil)
	if kind != Whirlpool || c.Merges != 0 || Find(f, 0) == Find(f, 1) {
		t.Errorf("kind %v, merges %d: a CoinJoin merged its participants", kind, c.Merges)
	}
}

func TestFindCompressesAndReadOnlyStops(t *testing.T) {
	f := newForest(5)
	// A chain 4 -> 3 -> 2 -> 1 -> 0.
	for i := uint32(1); i < 5; i++ {
		f.parent[i] = i - 1
	}
	if r, ok := FindReadOnly(f, 4, 10); !ok || r != 0 || f.parent[4] != 3 {
		t.Errorf("FindReadOnly = %d, %v; parent of 4 now %d", r, ok, f.parent[4])
	}
	if Find(f, 4) != 0 || f.parent[4] != 0 || f.parent[3] != 0 {
		t.Errorf("path not compressed: %v", f.parent)
	}
	f.parent[0] = 4 // a cycle, as only a corrupt file could hold
	if _, ok := FindReadOnly(f, 1, 100); ok {
		t.Error("FindReadOnly went round a cycle and returned ok")
	}
}

func FuzzDetectCoinJoin(f *testing.F) {
	f.Add([]byte{1, 2, 3, 4, 5}, []byte{9, 9, 9, 9, 9})
	f.Add([]byte{1, 2}, []byte{3, 3, 3, 1})
	f.Fuzz(func(t *testing.T, in, out []byte) {
		inputs := make([]uint32, len(in))
		for i, b := range in {
			inputs[i] = uint32(b % 8)
		}
		outputs := make([]int64, len(out))
		for i, b := range out {
			outputs[i] = int64(b%4) - 1
		}
		kind := DetectCoinJoin(inputs, outputs)
		if kind != NotCoinJoin && (countDistinct(inputs) < 2 || len(outputs) < 2) {
			t.Errorf("%v from %d distinct inputs, %d outputs", kind, countDistinct(inputs), len(outputs))
		}
		// Union-find stays a forest whatever the transaction.
		fo := newForest(8)
		c := &Clusterer{Sets: fo, Limit: 2}
		c.AddTx(inputs, outputs, nil)
		for id := range uint32(8) {
			if _, ok := FindReadOnly(fo, id, 9); !ok {
				t.Fatalf("cycle at %d", id)
			}
		}
	})
}
