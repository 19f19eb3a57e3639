package trace

import (
	"fmt"
)

// memGraph is a small real Graph held in memory, for hand-made cases.
type memGraph struct {
	txs    []memTx
	outs   []memOut
	roots  map[uint32]uint32 // address -> cluster root; absent: itself
	labels Labels
}

type memTx struct{ ins, outs []uint32 }

type memOut struct {
	value   int64
	addr    uint32
	creator uint32
	vout    uint32
	spender uint32 // tx id + 1
}

// tx adds a transaction spending ins and paying vals, each to a fresh
// address numbered as its output id; it returns the new output ids.
func (g *memGraph) tx(ins []uint32, vals ...int64) []uint32 {
	id := uint32(len(g.txs))
	var outs []uint32
	for _, o := range ins {
		g.outs[o].spender = id + 1
	}
	for i, v := range vals {
		o := uint32(len(g.outs))
		g.outs = append(g.outs, memOut{value: v, addr: o, creator: id, vout: uint32(i)})
		outs = append(outs, o)
	}
	g.txs = append(g.txs, memTx{ins: ins, outs: outs})
	return outs
}

func (g *memGraph) label(o uint32, entity, category string) {
	if g.labels == nil {
		g.labels = Labels{}
	}
	g.labels[g.outs[o].addr] = Label{entity, category}
}

func (g *memGraph) out(o uint32) Output {
	return Output{ID: o, Value: g.outs[o].value, Address: g.outs[o].addr}
}

func (g *memGraph) TxOutputs(tx uint32, buf []Output) ([]Output, error) {
	if int(tx) >= len(g.txs) {
		return buf, fmt.Errorf("no tx %d", tx)
	}
	for _, o := range g.txs[tx].outs {
		buf = append(buf, g.out(o))
	}
	return buf, nil
}

func (g *memGraph) TxInputs(tx uint32, buf []Output) ([]Output, error) {
	if int(tx) >= len(g.txs) {
		return buf, fmt.Errorf("no tx %d", tx)
	}
	for _, o := range g.txs[tx].ins {
		buf = append(buf, g.out(o))
	}
	return buf, nil
}

func (g *memGraph) SpendingTx(o uint32) (uint32, bool, error) {
	s := g.outs[o].spender
	return s - 1, s != 0, nil
}

func (g *memGraph) CreatingTx(o uint32) (uint32, uint32, error) {
	if int(o) >= len(g.outs) {
		return 0, 0, fmt.Errorf("no output %d", o)
	}
	return g.outs[o].creator, g.outs[o].vout, nil
}

func (g *memGraph) ClusterRoot(a uint32) (uint32, error) {
	if r, ok := g.roots[a]; ok {
		return r, nil
	}
	return a, nil
}

func (g *memGraph) TxInfo(tx uint32) (TxInfo, error) {
	return TxInfo{TxID: fmt.Sprintf("t%d", tx), Height: tx, Time: 1000 + int64(tx)}, nil
}

func (g *memGraph) AddressString(a uint32) (string, error) { return fmt.Sprintf("a%d", a), nil }

func (g *memGraph) Label(a uint32) (string, string, bool) { return g.labels.Label(a) }

var _ Graph = (*memGraph)(nil)
var _ Labeler = (*memGraph)(nil)
