package chainindex

import (
	"encoding/binary"
	"fmt"

	"github.com/entente/entente/internal/chain"
	"github.com/entente/entente/internal/cluster"
)

// TxView fills v with what the change heuristics read of transaction t:
// each input's address, script class and value; each output's, whether
// its address had received an output before t (out.col's previous-output
// link names an earlier transaction's output), and whether it is spent
// and by a transaction of which fingerprint and shape. v's slices are
// reused, so a pass over the chain allocates nothing per transaction once
// they have grown. Ids read from the files are checked: a corrupt index
// gives ErrCorrupt, not a panic.
func (ix *Index) TxView(t uint32, v *cluster.Tx) error {
	v.Reset()
	if err := ix.checkTx(t); err != nil {
		return err
	}
	v.FP = cluster.Fingerprint(ix.fp.at(uint64(t))[0])
	first, end := ix.txInputs(t)
	if first > end || uint64(end) > ix.ins.len() {
		return fmt.Errorf("%w: tx %d has inputs [%d, %d)", ErrCorrupt, t, first, end)
	}
	for i := first; i < end; i++ {
		o := ix.ins.u32(i)
		if o == none {
			v.Coinbase = true
			continue
		}
		if uint64(o) >= ix.outs.len() {
			return fmt.Errorf("%w: input %d spends output %d", ErrCorrupt, i, o)
		}
		rec := ix.outs.at(uint64(o))
		a := binary.LittleEndian.Uint32(rec[8:])
		v.Ins = append(v.Ins, cluster.In{Addr: a, Class: ix.addrClass(a), Value: int64(binary.LittleEndian.Uint64(rec))})
	}
	first, end = ix.txOutputs(t)
	if first > end || uint64(end) > ix.outs.len() {
		return fmt.Errorf("%w: tx %d has outputs [%d, %d)", ErrCorrupt, t, first, end)
	}
	for o := first; o < end; o++ {
		rec := ix.outs.at(uint64(o))
		a := binary.LittleEndian.Uint32(rec[8:])
		// An address paid twice by t links to its own earlier output
		// first: walk back past those (each step must go down, so a
		// corrupt link can not loop).
		prev := binary.LittleEndian.Uint32(rec[12:])
		for cur := o; prev != 0 && prev-1 >= first && prev-1 < cur; {
			cur = prev - 1
			prev = binary.LittleEndian.Uint32(ix.outs.at(uint64(cur))[12:])
		}
		out := cluster.Out{Addr: a, Class: ix.addrClass(a), Value: int64(binary.LittleEndian.Uint64(rec)),
			Seen: prev != 0 && prev-1 < first}
		if s := ix.spent.u32(o); s != 0 {
			s--
			if uint64(s) >= ix.txs.len() {
				return fmt.Errorf("%w: output %d spent by tx %d", ErrCorrupt, o, s)
			}
			sIn, sInEnd := ix.txInputs(s)
			sOut, sOutEnd := ix.txOutputs(s)
			out.Spent, out.SpenderFP = true, cluster.Fingerprint(ix.fp.at(uint64(s))[0])
			out.SpenderIns, out.SpenderOuts = sInEnd-sIn, sOutEnd-sOut
			if out.SpenderOuts >= 2 && out.SpenderIns >= 2 {
				cj, err := ix.isCoinJoin(sIn, sInEnd, sOut, sOutEnd, v)
				if err != nil {
					return err
				}
				out.SpenderCoinJoin = cj
			}
		}
		v.Outs = append(v.Outs, out)
	}
	return nil
}

// addrClass returns the script class of address a (the first byte of its
// key), NonStandard for no address or a key the files do not hold.
func (ix *Index) addrClass(a uint32) chain.ScriptClass {
	if a == none || uint64(a) >= ix.addrEnd.len() {
		return chain.NonStandard
	}
	k := ix.addressKey(a)
	if len(k) == 0 {
		return chain.NonStandard
	}
	return chain.ScriptClass(k[0])
}

// isCoinJoin applies cluster.DetectCoinJoin to the transaction with inputs
// [in, inEnd) and outputs [out, outEnd), in v's spender scratch.
func (ix *Index) isCoinJoin(in, inEnd, out, outEnd uint32, v *cluster.Tx) (bool, error) {
	if in > inEnd || uint64(inEnd) > ix.ins.len() || out > outEnd || uint64(outEnd) > ix.outs.len() {
		return false, fmt.Errorf("%w: a spender has inputs [%d, %d) and outputs [%d, %d)", ErrCorrupt, in, inEnd, out, outEnd)
	}
	v.SpenderAddrs, v.SpenderValues = v.SpenderAddrs[:0], v.SpenderValues[:0]
	for i := in; i < inEnd; i++ {
		o := ix.ins.u32(i)
		if o == none || uint64(o) >= ix.outs.len() {
			continue
		}
		if a := ix.outAddr(o); a != none {
			v.SpenderAddrs = append(v.SpenderAddrs, a)
		}
	}
	for o := out; o < outEnd; o++ {
		v.SpenderValues = append(v.SpenderValues, int64(binary.LittleEndian.Uint64(ix.outs.at(uint64(o)))))
	}
	return cluster.DetectCoinJoin(v.SpenderAddrs, v.SpenderValues) != cluster.NotCoinJoin, nil
}
