package trace

import (
	"context"
	"testing"
)

// randomGraph builds a graph from bytes: each transaction spends some of
// the unspent outputs and pays one to four outputs, labelling some.
func randomGraph(data []byte) *memGraph {
	g := &memGraph{}
	g.tx(nil, 1000, 700)
	var unspent []uint32 = []uint32{0, 1}
	for len(data) >= 3 && len(g.txs) < 64 {
		nIn, nOut, lab := int(data[0]%3)+1, int(data[1]%4)+1, data[2]
		data = data[3:]
		if nIn > len(unspent) {
			break
		}
		var ins []uint32
		var total int64
		for range nIn {
			k := 0
			if len(data) > 0 {
				k = int(data[0]) % len(unspent)
				data = data[1:]
			}
			ins = append(ins, unspent[k])
			total += g.outs[unspent[k]].value
			unspent = append(unspent[:k], unspent[k+1:]...)
		}
		if total < int64(nOut) {
			break
		}
		// Outputs sum to at most the inputs, as in Bitcoin (an early
		// version of this generator made money, and haircut with it).
		vals := make([]int64, nOut)
		for j := range vals {
			b := int64(200)
			if len(data) > 0 {
				b, data = int64(data[0]), data[1:]
			}
			vals[j] = max(1, total/int64(nOut)*b/255)
		}
		outs := g.tx(ins, vals...)
		for j, o := range outs {
			if lab&(1<<j) != 0 {
				g.label(o, "e"+string(rune('a'+j)), "exchange")
			} else {
				unspent = append(unspent, o)
			}
		}
	}
	return g
}

// FuzzTrace checks on arbitrary graphs that no policy creates taint
// (poison aside), no trace fails or loops, and backward FIFO is as sound.
func FuzzTrace(f *testing.F) {
	f.Add([]byte{1, 2, 0, 0, 1, 3, 1, 0, 5})
	f.Add([]byte{0, 3, 4, 1, 1, 2, 0, 0, 0, 2, 2, 1, 0, 9, 9})
	f.Fuzz(func(t *testing.T, data []byte) {
		g := randomGraph(data)
		for _, p := range []Policy{FIFO, LIFO, Haircut, Poison} {
			for _, d := range []Direction{Forward, Backward} {
				start := Start{0}
				if d == Backward {
					start = Start{uint32(len(g.outs) - 1)}
				}
				r, err := Trace(context.Background(), g, []Start{start}, Options{Policy: p, Direction: d, MaxFanout: 3})
				if err != nil {
					t.Fatalf("%v %v: %v", p, d, err)
				}
				if r.TxsVisited > len(g.txs) {
					t.Fatalf("%v %v: %d txs visited of %d", p, d, r.TxsVisited, len(g.txs))
				}
				if out := r.Attributed + r.Unspent + r.Stopped; p != Poison && out > r.Total {
					t.Fatalf("%v %v: %d out of %d in", p, d, out, r.Total)
				}
			}
		}
	})
}
