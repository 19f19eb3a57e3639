package chainindex

import (
	"cmp"
	"encoding/binary"
	"fmt"
	"sort"

	"github.com/entente/entente/internal/trace"
)

// A mixer's payouts, for de-mixing in internal/trace: the transactions of
// a time window that spend coins of the mixer's clusters, and what they
// pay outside them.
var _ trace.MixerLister = (*Index)(nil)

// maxPayoutRoots bounds the clusters one Payouts call takes as a mixer's.
const maxPayoutRoots = 1_000_000

// blockTime returns the time of block h.
func (ix *Index) blockTime(h uint32) int64 {
	return int64(binary.LittleEndian.Uint32(ix.blocks.at(uint64(h))[32:]))
}

// mixerScan is one pass over the transactions of a window, every input's
// and output's cluster looked up against a mixer's.
type mixerScan struct {
	ix    *Index
	mixer map[uint32]bool
}

func (ix *Index) newMixerScan(roots []uint32) (*mixerScan, error) {
	if len(roots) > maxPayoutRoots {
		return nil, fmt.Errorf("flows of a mixer of %d clusters: at most %d", len(roots), maxPayoutRoots)
	}
	m := make(map[uint32]bool, len(roots))
	for _, r := range roots {
		if uint64(r) >= ix.addrEnd.len() {
			return nil, fmt.Errorf("%w: address id %d", ErrNotFound, r)
		}
		m[r] = true
	}
	return &mixerScan{ix: ix, mixer: m}, nil
}

func (s *mixerScan) in(a uint32) (bool, error) {
	if a == none {
		return false, nil
	}
	r, err := s.ix.rootOf(a)
	return s.mixer[r], err
}

// run calls fn for each output of transactions from first on, block by
// block while the block's time is at most until, with whether the
// transaction spends a mixer output and whether the output pays the
// mixer. fn returns false to stop.
func (s *mixerScan) run(first uint32, until int64, fn func(t uint32, vout uint32, out trace.Output, time int64, spends, pays bool) bool) error {
	ix := s.ix
	if uint64(first) >= ix.txs.len() {
		return nil
	}
	h := ix.heightOf(first)
	if uint64(h) >= ix.blocks.len() {
		return fmt.Errorf("%w: tx %d is in no block", ErrCorrupt, first)
	}
	for t := first; uint64(h) < ix.blocks.len(); h++ {
		tm := ix.blockTime(h)
		if tm > until {
			return nil
		}
		for end := ix.blockFirstTx(h + 1); t < end; t++ {
			ifirst, iend := ix.txInputs(t)
			if ifirst > iend || uint64(iend) > ix.ins.len() {
				return fmt.Errorf("%w: tx %d has inputs [%d, %d)", ErrCorrupt, t, ifirst, iend)
			}
			spends := false
			for i := ifirst; i < iend && !spends; i++ {
				o := ix.ins.u32(i)
				if o == none {
					continue
				}
				if uint64(o) >= ix.outs.len() {
					return fmt.Errorf("%w: input %d spends output %d", ErrCorrupt, i, o)
				}
				var err error
				if spends, err = s.in(ix.outAddr(o)); err != nil {
					return err
				}
			}
			ofirst, oend := ix.txOutputs(t)
			if ofirst > oend || uint64(oend) > ix.outs.len() {
				return fmt.Errorf("%w: tx %d has outputs [%d, %d)", ErrCorrupt, t, ofirst, oend)
			}
			for o := ofirst; o < oend; o++ {
				out := ix.traceOutput(o)
				if out.Address == trace.NoAddress {
					continue
				}
				pays, err := s.in(out.Address)
				if err != nil {
					return err
				}
				if !fn(t, o-ofirst, out, tm, spends, pays) {
					return nil
				}
			}
		}
	}
	return nil
}

// Payouts appends to buf the outputs paid outside the clusters of roots by
// transactions spending an output of them, after transaction after in
// chain order, in blocks up to the first whose time passes until
// (trace.MixerLister). The window is scanned transaction by transaction,
// every input's cluster looked up: the work is the window's inputs, not
// the mixer's history, so a mixer of millions of outputs costs no more
// than a quiet one. Block times are not strictly ordered on Bitcoin (a
// block may be up to two hours ahead of the next); the scan stops at the
// first block past until, which may cut the window by that much.
func (ix *Index) Payouts(roots []uint32, after uint32, until int64, limit int, buf []trace.Flow) ([]trace.Flow, bool, error) {
	if err := ix.checkTx(after); err != nil {
		return buf, false, err
	}
	s, err := ix.newMixerScan(roots)
	if err != nil {
		return buf, false, err
	}
	start, more := len(buf), false
	err = s.run(after+1, until, func(t, vout uint32, out trace.Output, tm int64, spends, pays bool) bool {
		if !spends || pays {
			return true // not the mixer's, or change and moves between its wallets
		}
		if len(buf)-start >= limit {
			more = true
			return false
		}
		buf = append(buf, trace.Flow{Tx: t, Vout: vout, Output: out, Time: tm})
		return true
	})
	return buf, more, err
}

// Deposits appends to buf the outputs paid to the clusters of roots, or
// spent by a transaction paying them alone (a sweep of deposit
// addresses no tag names), by transactions spending none of their
// outputs, in blocks from the first
// whose time is at least from up to the first past until
// (trace.MixerLister). The first block is found by binary search on the
// block times, as if they were ordered.
func (ix *Index) Deposits(roots []uint32, from, until int64, limit int, buf []trace.Flow) ([]trace.Flow, bool, error) {
	s, err := ix.newMixerScan(roots)
	if err != nil {
		return buf, false, err
	}
	h := sort.Search(int(ix.blocks.len()), func(h int) bool { return ix.blockTime(uint32(h)) >= from })
	start, more := len(buf), false
	var serr error
	err = s.run(ix.blockFirstTx(uint32(h)), until, func(t, vout uint32, out trace.Output, tm int64, spends, pays bool) bool {
		if spends {
			return true
		}
		if !pays {
			// A deposit address no tag or cluster shows is the mixer's
			// is known by its sweep: spent by a transaction paying the
			// mixer alone.
			if pays, serr = s.sweptIn(out.ID); serr != nil || !pays {
				return serr == nil
			}
		}
		if len(buf)-start >= limit {
			more = true
			return false
		}
		buf = append(buf, trace.Flow{Tx: t, Vout: vout, Output: out, Time: tm})
		return true
	})
	return buf, more, cmp.Or(err, serr)
}

// sweptIn reports whether output o was spent by a transaction whose
// every output pays the mixer: a sweep of deposit addresses into its
// wallet.
func (s *mixerScan) sweptIn(o uint32) (bool, error) {
	ix := s.ix
	sp := ix.spent.u32(o)
	if sp == 0 {
		return false, nil
	}
	if uint64(sp-1) >= ix.txs.len() {
		return false, fmt.Errorf("%w: output %d spent by tx %d", ErrCorrupt, o, sp-1)
	}
	first, end := ix.txOutputs(sp - 1)
	if first >= end || uint64(end) > ix.outs.len() {
		return false, nil
	}
	for x := first; x < end; x++ {
		in, err := s.in(ix.outAddr(x))
		if err != nil || !in {
			return false, err
		}
	}
	return true, nil
}
