package chainindex

import (
	"encoding/binary"
	"fmt"

	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/entente/entente/internal/trace"
)

// The read accessors below let internal/trace follow funds on the index.
// Every id read from a file is checked against the column lengths, so a
// corrupt index gives ErrCorrupt, not a panic.
var _ trace.Graph = (*Index)(nil)

// txInputs returns the input ids [first, end) of transaction t.
func (ix *Index) txInputs(t uint32) (first, end uint32) {
	first = binary.LittleEndian.Uint32(ix.txs.at(uint64(t))[36:])
	end = uint32(ix.ins.len())
	if uint64(t)+1 < ix.txs.len() {
		end = binary.LittleEndian.Uint32(ix.txs.at(uint64(t) + 1)[36:])
	}
	return first, end
}

func (ix *Index) traceOutput(o uint32) trace.Output {
	rec := ix.outs.at(uint64(o))
	a := binary.LittleEndian.Uint32(rec[8:])
	if a == none {
		a = trace.NoAddress
	}
	return trace.Output{ID: o, Value: int64(binary.LittleEndian.Uint64(rec)), Address: a}
}

func (ix *Index) checkTx(t uint32) error {
	if uint64(t) >= ix.txs.len() {
		return fmt.Errorf("%w: tx id %d", ErrNotFound, t)
	}
	return nil
}

// TxOutputs appends transaction t's outputs to buf (trace.Graph).
func (ix *Index) TxOutputs(t uint32, buf []trace.Output) ([]trace.Output, error) {
	if err := ix.checkTx(t); err != nil {
		return buf, err
	}
	first, end := ix.txOutputs(t)
	if first > end || uint64(end) > ix.outs.len() {
		return buf, fmt.Errorf("%w: tx %d has outputs [%d, %d)", ErrCorrupt, t, first, end)
	}
	for o := first; o < end; o++ {
		buf = append(buf, ix.traceOutput(o))
	}
	return buf, nil
}

// TxInputs appends the outputs transaction t spends to buf, none for a
// coinbase (trace.Graph).
func (ix *Index) TxInputs(t uint32, buf []trace.Output) ([]trace.Output, error) {
	if err := ix.checkTx(t); err != nil {
		return buf, err
	}
	first, end := ix.txInputs(t)
	if first > end || uint64(end) > ix.ins.len() {
		return buf, fmt.Errorf("%w: tx %d has inputs [%d, %d)", ErrCorrupt, t, first, end)
	}
	for i := first; i < end; i++ {
		o := ix.ins.u32(i)
		if o == none {
			continue // a coinbase's input
		}
		if uint64(o) >= ix.outs.len() {
			return buf, fmt.Errorf("%w: input %d spends output %d", ErrCorrupt, i, o)
		}
		buf = append(buf, ix.traceOutput(o))
	}
	return buf, nil
}

// SpendingTx returns the transaction spending output o (trace.Graph).
func (ix *Index) SpendingTx(o uint32) (uint32, bool, error) {
	if uint64(o) >= ix.outs.len() {
		return 0, false, fmt.Errorf("%w: output id %d", ErrNotFound, o)
	}
	s := ix.spent.u32(o)
	if s == 0 {
		return 0, false, nil
	}
	if uint64(s-1) >= ix.txs.len() {
		return 0, false, fmt.Errorf("%w: output %d spent by tx %d", ErrCorrupt, o, s-1)
	}
	return s - 1, true, nil
}

// CreatingTx returns the transaction creating output o and o's index in
// it (trace.Graph).
func (ix *Index) CreatingTx(o uint32) (uint32, uint32, error) {
	if uint64(o) >= ix.outs.len() {
		return 0, 0, fmt.Errorf("%w: output id %d", ErrNotFound, o)
	}
	t := ix.txOf(o)
	if uint64(t) >= ix.txs.len() {
		return 0, 0, fmt.Errorf("%w: output %d has no transaction", ErrCorrupt, o)
	}
	first, _ := ix.txOutputs(t)
	return t, o - first, nil
}

// ClusterRoot returns the root address of a's cluster (trace.Graph).
func (ix *Index) ClusterRoot(a uint32) (uint32, error) {
	if uint64(a) >= ix.addrEnd.len() {
		return 0, fmt.Errorf("%w: address id %d", ErrNotFound, a)
	}
	return ix.rootOf(a)
}

// TxInfo describes transaction t (trace.Graph).
func (ix *Index) TxInfo(t uint32) (trace.TxInfo, error) {
	if err := ix.checkTx(t); err != nil {
		return trace.TxInfo{}, err
	}
	h := ix.heightOf(t)
	if uint64(h) >= ix.blocks.len() {
		return trace.TxInfo{}, fmt.Errorf("%w: tx %d is in no block", ErrCorrupt, t)
	}
	tm := binary.LittleEndian.Uint32(ix.blocks.at(uint64(h))[32:])
	return trace.TxInfo{TxID: ix.TxID(t).String(), Height: h, Time: int64(tm)}, nil
}

// TraceStarts resolves a start specification to the outputs to trace: an
// address's received outputs (newest first, at most limit, more is an
// error), a transaction's outputs, or one output.
func (ix *Index) TraceStarts(sp trace.Spec, limit int) ([]trace.Start, error) {
	if sp.Kind == trace.SpecAddress {
		id, err := ix.LookupAddress(sp.Address)
		if err != nil {
			return nil, err
		}
		var starts []trace.Start
		for o := ix.last.u32(id); o != 0; {
			if uint64(o) > ix.outs.len() {
				return nil, fmt.Errorf("%w: output list of address %s names output %d", ErrCorrupt, sp.Address, o-1)
			}
			if len(starts) >= limit {
				return nil, fmt.Errorf("address %s received more than %d outputs: start from a txid:n", sp.Address, limit)
			}
			starts = append(starts, trace.Start{Output: o - 1})
			prev := binary.LittleEndian.Uint32(ix.outs.at(uint64(o - 1))[12:])
			if prev >= o {
				return nil, fmt.Errorf("%w: output list of address %s loops at output %d", ErrCorrupt, sp.Address, o-1)
			}
			o = prev
		}
		return starts, nil
	}
	h, err := chainhash.NewHashFromStr(sp.TxID)
	if err != nil {
		return nil, fmt.Errorf("%w: txid %s: %v", ErrNotFound, sp.TxID, err)
	}
	t, ok := ix.findTx(sipHash(h[:], &ix.key), *h)
	if !ok {
		return nil, fmt.Errorf("%w: transaction %s", ErrNotFound, sp.TxID)
	}
	first, end := ix.txOutputs(t)
	if first > end || uint64(end) > ix.outs.len() {
		return nil, fmt.Errorf("%w: tx %d has outputs [%d, %d)", ErrCorrupt, t, first, end)
	}
	if sp.Kind == trace.SpecOutput {
		if uint64(sp.Vout) >= uint64(end-first) {
			return nil, fmt.Errorf("%w: output %s:%d (the transaction has %d outputs)", ErrNotFound, sp.TxID, sp.Vout, end-first)
		}
		return []trace.Start{{Output: first + sp.Vout}}, nil
	}
	if int(end-first) > limit {
		return nil, fmt.Errorf("transaction %s has more than %d outputs: start from a txid:n", sp.TxID, limit)
	}
	starts := make([]trace.Start, 0, end-first)
	for o := first; o < end; o++ {
		starts = append(starts, trace.Start{Output: o})
	}
	return starts, nil
}

// TooManyError is a cluster too big to trace from at once.
type TooManyError struct {
	Root           uint32
	Size           uint32 // addresses in the cluster
	MaxMembers     int
	MaxStarts      int
	MembersOverMax bool // else the members' outputs passed MaxStarts
}

func (e *TooManyError) Error() string {
	if e.MembersOverMax {
		return fmt.Sprintf("cluster %d has %d addresses, more than %d", e.Root, e.Size, e.MaxMembers)
	}
	return fmt.Sprintf("cluster %d (%d addresses) received more than %d outputs", e.Root, e.Size, e.MaxStarts)
}

// ClusterStarts returns the cluster of address addr (its root and size)
// and a trace start for every output its members received, refusing with
// a *TooManyError a cluster of more than maxMembers addresses or more than
// maxStarts outputs.
func (ix *Index) ClusterStarts(addr string, maxMembers, maxStarts int) (starts []trace.Start, root, size uint32, err error) {
	id, err := ix.LookupAddress(addr)
	if err != nil {
		return nil, 0, 0, err
	}
	if root, size, err = ix.ClusterOf(id); err != nil {
		return nil, 0, 0, err
	}
	starts, err = ix.clusterStarts(root, size, maxMembers, maxStarts)
	return starts, root, size, err
}

func (ix *Index) clusterStarts(root, size uint32, maxMembers, maxStarts int) ([]trace.Start, error) {
	if uint64(size) > uint64(maxMembers) {
		return nil, &TooManyError{Root: root, Size: size, MaxMembers: maxMembers, MaxStarts: maxStarts, MembersOverMax: true}
	}
	members, err := ix.ClusterMembers(root, maxMembers)
	if err != nil {
		return nil, err
	}
	var starts []trace.Start
	for _, id := range members {
		for o := ix.last.u32(id); o != 0; {
			if uint64(o) > ix.outs.len() {
				return nil, fmt.Errorf("%w: output list of address %d names output %d", ErrCorrupt, id, o-1)
			}
			if len(starts) >= maxStarts {
				return nil, &TooManyError{Root: root, Size: size, MaxMembers: maxMembers, MaxStarts: maxStarts}
			}
			starts = append(starts, trace.Start{Output: o - 1})
			prev := binary.LittleEndian.Uint32(ix.outs.at(uint64(o - 1))[12:])
			if prev >= o {
				return nil, fmt.Errorf("%w: output list of address %d loops at output %d", ErrCorrupt, id, o-1)
			}
			o = prev
		}
	}
	return starts, nil
}
