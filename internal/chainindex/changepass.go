package chainindex

import (
	"context"
	"encoding/binary"
	"fmt"

	"github.com/entente/entente/internal/cluster"
)

// ChangeClusters brings the overlay ov up to the index's tip: change
// clustering under ov.Heuristics on top of the index's multi-input
// forest, in memory (8 bytes an address), the index unchanged.
//
// A new overlay (no transactions covered) is seeded with the index's
// clusters and every transaction is decided in one pass over the chain:
// about a second per million transactions on a warm page cache. An overlay
// already covering ov.Txs transactions is updated with the ones added
// since, as blocks arrive: their addresses join as clusters of one, the
// multi-input heuristic is applied to them in the overlay, and each
// transaction is decided when all it will tell is known — on arrival for
// heuristics that read only the transaction, when its last output is
// spent for those that read the spenders (fingerprint, peel). So updating
// block by block gives the clusters of a pass over the whole chain (the
// guard aside, which may refuse different merges in a different order).
//
// With the sweep heuristic ([cluster.BySweep]) a new overlay is not seeded:
// a sweep is judged against the clusters as they stood at it, and the
// index's forest already holds every later co-spend. It starts from
// clusters of one address and takes the update path from the first
// transaction, multi-input included, which costs a little more than the
// seeded pass and gives the same multi-input clusters (the guard aside).
func (ix *Index) ChangeClusters(ctx context.Context, ov *cluster.Overlay) error {
	ntx := uint32(ix.txs.len())
	naddr := uint32(ix.addrEnd.len())
	if ov.Txs > ntx || uint32(ov.Forest.Len()) > naddr {
		return fmt.Errorf("chainindex: overlay covers %d transactions and %d addresses, the index has %d and %d (rewound?)",
			ov.Txs, ov.Forest.Len(), ntx, naddr)
	}
	var v cluster.Tx
	sweep := ov.Heuristics&cluster.BySweep != 0
	if ov.Txs == 0 && sweep {
		ov.Forest = cluster.Forest{}
	}
	if ov.Txs == 0 && !sweep {
		if err := ix.seedOverlay(ov); err != nil {
			return err
		}
		for t := range ntx {
			if t%(1<<16) == 0 {
				if err := ctx.Err(); err != nil {
					return err
				}
			}
			if err := ix.TxView(t, &v); err != nil {
				return err
			}
			ov.Decide(t, &v)
		}
		ov.Txs = ntx
		return nil
	}

	ov.Forest.Grow(int(naddr))
	for uint32(ov.Forest.Len()) < naddr {
		ov.Forest.Add()
	}
	spenders := ov.Heuristics.SpenderBased()
	var p cluster.Tx
	var done []uint32 // creating transactions decided for this spender
	for t := ov.Txs; t < ntx; t++ {
		if t%(1<<16) == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		if err := ix.TxView(t, &v); err != nil {
			return err
		}
		ov.MultiInput(t, &v)
		if sweep {
			ov.Sweep(t, &v)
		}
		if !spenders {
			ov.Decide(t, &v)
			continue
		}
		// t may have been the last spend of an earlier transaction's
		// outputs: that one can now be decided, once.
		first, end := ix.txInputs(t)
		done = done[:0]
		for i := first; i < end; i++ {
			o := ix.ins.u32(i)
			if o == none || uint64(o) >= ix.outs.len() {
				continue
			}
			c := ix.txOf(o)
			if containsU32(done, c) {
				continue
			}
			done = append(done, c)
			if lastSpender(ix, c) != t {
				continue
			}
			if err := ix.TxView(c, &p); err != nil {
				return err
			}
			ov.Decide(c, &p)
		}
	}
	ov.Txs = ntx
	return nil
}

// seedOverlay fills ov's forest with the index's clusters: every address
// points at its root, each root holds its cluster's size, and the member
// rings are the index's.
func (ix *Index) seedOverlay(ov *cluster.Overlay) error {
	n := uint32(ix.addrEnd.len())
	ov.Forest = cluster.Forest{}
	ov.Forest.Grow(int(n))
	for range n {
		ov.Forest.Add()
	}
	for id := range n {
		r, err := ix.rootOf(id)
		if err != nil {
			return err
		}
		ov.Forest.SetParent(id, r)
		ov.Forest.SetNext(id, ix.next.u32(id)) // the index's member rings
		if r == id {
			ov.Forest.SetSize(id, ix.size.u32(id))
		}
	}
	return nil
}

// lastSpender returns the latest transaction spending one of t's outputs
// that could be change (with an address and a value), or none if one of
// them is unspent.
func lastSpender(ix *Index, t uint32) uint32 {
	first, end := ix.txOutputs(t)
	var last uint32
	for o := first; o < end; o++ {
		rec := ix.outs.at(uint64(o))
		if binary.LittleEndian.Uint32(rec[8:]) == none || int64(binary.LittleEndian.Uint64(rec)) <= 0 {
			continue
		}
		s := ix.spent.u32(o)
		if s == 0 {
			return none
		}
		last = max(last, s-1)
	}
	return last
}

func containsU32(s []uint32, v uint32) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}
