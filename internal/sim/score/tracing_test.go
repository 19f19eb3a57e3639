package score

import (
	"context"
	"errors"
	"fmt"
	"math"
	"testing"

	"github.com/entente/entente/internal/trace"
)

// memGraph is a small real trace.Graph held in memory: each output pays
// its own address, numbered as the output.
type memGraph struct {
	txs  [][2][]uint32 // inputs, outputs
	outs []memOut
}

type memOut struct {
	value          int64
	creator, vout  uint32
	spender, spent uint32 // spender is valid when spent is 1
}

// tx adds a transaction spending ins and paying vals; it returns the new
// output ids.
func (g *memGraph) tx(ins []uint32, vals ...int64) []uint32 {
	id := uint32(len(g.txs))
	for _, o := range ins {
		g.outs[o].spender, g.outs[o].spent = id, 1
	}
	var outs []uint32
	for i, v := range vals {
		outs = append(outs, uint32(len(g.outs)))
		g.outs = append(g.outs, memOut{value: v, creator: id, vout: uint32(i)})
	}
	g.txs = append(g.txs, [2][]uint32{ins, outs})
	return outs
}

func (g *memGraph) list(tx uint32, side int, buf []trace.Output) ([]trace.Output, error) {
	if int(tx) >= len(g.txs) {
		return buf, fmt.Errorf("no tx %d", tx)
	}
	for _, o := range g.txs[tx][side] {
		buf = append(buf, trace.Output{ID: o, Value: g.outs[o].value, Address: o})
	}
	return buf, nil
}

func (g *memGraph) TxInputs(tx uint32, buf []trace.Output) ([]trace.Output, error) {
	return g.list(tx, 0, buf)
}

func (g *memGraph) TxOutputs(tx uint32, buf []trace.Output) ([]trace.Output, error) {
	return g.list(tx, 1, buf)
}

func (g *memGraph) SpendingTx(o uint32) (uint32, bool, error) {
	return g.outs[o].spender, g.outs[o].spent == 1, nil
}

func (g *memGraph) CreatingTx(o uint32) (uint32, uint32, error) {
	return g.outs[o].creator, g.outs[o].vout, nil
}

func (g *memGraph) ClusterRoot(a uint32) (uint32, error) { return a, nil }

func (g *memGraph) TxInfo(tx uint32) (trace.TxInfo, error) {
	return trace.TxInfo{TxID: fmt.Sprintf("%064x", tx), Height: tx}, nil
}

func (g *memGraph) AddressString(a uint32) (string, error) { return fmt.Sprintf("addr%d", a), nil }

// TestTraceRansoms checks each policy's attribution on a hand-made chain.
//
// Incident 1 (cashed out at A): a victim pays 60. The operator spends it
// with a clean 40 of its own into A 50 and change 45 (fee 5), then splits
// the change into B 20 and 25 left unspent.
// Incident 2 (cashed out at A): payments of 10 (left unspent) and 30
// (paid whole into A).
func TestTraceRansoms(t *testing.T) {
	var g memGraph
	coin := g.tx(nil, 100, 40, 10, 30)
	paid := g.tx(coin[:1], 60, 40)[0]
	ex := g.tx([]uint32{paid, coin[1]}, 50, 45)
	toB := g.tx(ex[1:], 20, 25)
	toA2 := g.tx(coin[3:], 30)
	labels := trace.Labels{ex[0]: {Entity: "A", Category: "exchange"}, toA2[0]: {Entity: "A", Category: "exchange"}, toB[0]: {Entity: "B", Category: "exchange"}}
	atA := map[string]bool{"A": true}
	payments := []Payment{
		{Incident: "1", Start: trace.Start{Output: paid}, Value: 60, CashedAt: atA},
		{Incident: "2", Start: trace.Start{Output: coin[2]}, Value: 10, CashedAt: atA},
		{Incident: "2", Start: trace.Start{Output: coin[3]}, Value: 30, CashedAt: atA},
	}
	// Incident 2 always has 30 of 40 right and nothing wrong.
	tests := []struct {
		policy              trace.Policy
		right, wrong, unatt int64 // incident 1's
	}{
		// Inputs laid [paid 0-60 | clean 60-100]: A takes [0,50), the
		// change [50,95) holds 10 tainted, which B's [0,20) takes.
		{trace.FIFO, 50, 10, 0},
		// [clean 0-40 | paid 40-100]: A takes 10, the change 45, B 20.
		{trace.LIFO, 10, 20, 30},
		// 60 of 100 in: A 30, change 27; of 45, B gets 27*20/45 = 12.
		{trace.Haircut, 30, 12, 18},
		// Every output in full: A 50, B 20; 70 > 60, nothing unattributed.
		{trace.Poison, 50, 20, 0},
	}
	for _, tt := range tests {
		t.Run(tt.policy.String(), func(t *testing.T) {
			got, err := TraceRansoms(context.Background(), &g, payments, labels, tt.policy, 10)
			if err != nil {
				t.Fatal(err)
			}
			r1 := float64(tt.right) / 60
			want := TraceRow{
				Policy: tt.policy.String(), Depth: 10, Payments: 3, Incidents: 2, Value: 100,
				Right: tt.right + 30, Wrong: tt.wrong, Unattributed: max(100-tt.right-30-tt.wrong, 0),
				PerIncident: Shares{
					RightMin: min(r1, 0.75), RightMedian: (r1 + 0.75) / 2,
					WrongMedian: float64(tt.wrong) / 60 / 2, WrongMax: float64(tt.wrong) / 60,
					Unattributed: (float64(tt.unatt)/60 + 0.25) / 2,
				},
				TxsVisited: got.TxsVisited,
			}
			want.RightShare = float64(want.Right) / 100
			want.WrongShare = float64(want.Wrong) / 100
			want.UnattributedShare = float64(want.Unattributed) / 100
			if !rowsClose(got, want) {
				t.Errorf("got  %+v\nwant %+v", got, want)
			}
			if got.TxsVisited < 2 {
				t.Errorf("%d transactions visited, want at least 2", got.TxsVisited)
			}
		})
	}
}

// rowsClose compares rows, shares within rounding.
func rowsClose(a, b TraceRow) bool {
	near := func(x, y float64) bool { return math.Abs(x-y) < 1e-12 }
	fa := []float64{a.RightShare, a.WrongShare, a.UnattributedShare, a.PerIncident.RightMin, a.PerIncident.RightMedian, a.PerIncident.WrongMedian, a.PerIncident.WrongMax, a.PerIncident.Unattributed}
	fb := []float64{b.RightShare, b.WrongShare, b.UnattributedShare, b.PerIncident.RightMin, b.PerIncident.RightMedian, b.PerIncident.WrongMedian, b.PerIncident.WrongMax, b.PerIncident.Unattributed}
	for i := range fa {
		if !near(fa[i], fb[i]) {
			return false
		}
	}
	a.PerIncident, b.PerIncident = Shares{}, Shares{}
	a.RightShare, a.WrongShare, a.UnattributedShare = 0, 0, 0
	b.RightShare, b.WrongShare, b.UnattributedShare = 0, 0, 0
	return a == b
}

func TestTraceRansomsErrors(t *testing.T) {
	var g memGraph
	coin := g.tx(nil, 100)
	tests := []struct {
		name     string
		payments []Payment
		depth    int
		wantIs   error
	}{
		{"value differs from the output", []Payment{{Incident: "1", Start: trace.Start{Output: coin[0]}, Value: 99}}, 10, ErrTruth},
		{"depth out of range", []Payment{{Incident: "1", Start: trace.Start{Output: coin[0]}, Value: 100}}, -1, trace.ErrBadOptions},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := TraceRansoms(context.Background(), &g, tt.payments, nil, trace.FIFO, tt.depth)
			if !errors.Is(err, tt.wantIs) {
				t.Fatalf("err %v, want %v", err, tt.wantIs)
			}
		})
	}
	// No payments: an empty row, not a division by zero.
	r, err := TraceRansoms(context.Background(), &g, nil, nil, trace.FIFO, 10)
	if err != nil || r.Value != 0 || r.RightShare != 0 || r.Incidents != 0 {
		t.Fatalf("empty: %+v, %v", r, err)
	}
}
