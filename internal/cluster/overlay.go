package cluster

// Forest is a union-find forest held in memory, 8 bytes an address: the
// [Sets] of an overlay computed for one analysis, beside the index's
// stored forest.
type Forest struct{ parent, size []uint32 }

var _ Sets = (*Forest)(nil)

// Add adds a new id, its own root of size 1, and returns it.
func (f *Forest) Add() uint32 {
	id := uint32(len(f.parent))
	f.parent = append(f.parent, id)
	f.size = append(f.size, 1)
	return id
}

// Grow makes room for n ids in all without reallocating.
func (f *Forest) Grow(n int) {
	if n > cap(f.parent) {
		p := make([]uint32, len(f.parent), n)
		copy(p, f.parent)
		s := make([]uint32, len(f.size), n)
		copy(s, f.size)
		f.parent, f.size = p, s
	}
}

// Len is the number of ids.
func (f *Forest) Len() int { return len(f.parent) }

// Parent, SetParent, Size and SetSize implement [Sets]; ids must be below
// Len.
func (f *Forest) Parent(id uint32) uint32     { return f.parent[id] }
func (f *Forest) SetParent(id, p uint32)      { f.parent[id] = p }
func (f *Forest) Size(id uint32) uint32       { return f.size[id] }
func (f *Forest) SetSize(id uint32, n uint32) { f.size[id] = n }

// ChangeRefusal is a change merge the guard refused, with the transaction
// that asked for it.
type ChangeRefusal struct {
	Tx uint32
	Refusal
}

// MaxRefusalsKept bounds [Overlay.Refusals]; past it refusals are only
// counted.
const MaxRefusalsKept = 10_000

// Overlay is change clustering on top of multi-input clustering, for one
// analysis: a forest in memory, seeded with the index's clusters, to which
// the chosen change heuristics add merges. The index's own forest is not
// touched, so analyses with different heuristics can run side by side and
// a wrong choice costs nothing stored.
//
// The caller (the chain index) feeds it transactions in chain order:
// [Overlay.MultiInput] for transactions the seed did not cover, and
// [Overlay.Decide] once for each transaction when it can be decided (see
// [Change]).
type Overlay struct {
	// Heuristics chosen. Zero adds nothing to multi-input clustering.
	Heuristics Heuristics
	// Limit is the guard of [Clusterer.Limit]: zero means DefaultLimit,
	// negative no limit.
	Limit int
	// Txs is how many transactions of the chain the overlay covers; the
	// next update starts there.
	Txs uint32

	Forest Forest
	// Changes counts change outputs found, Merges the merges they made
	// (a change output already in the inputs' cluster makes none).
	Changes, Merges uint64
	// Refused counts merges the guard refused; the first
	// MaxRefusalsKept are in Refusals with their reasons.
	Refused  uint64
	Refusals []ChangeRefusal

	clusterer Clusterer
	scratch   []Refusal
}

func (o *Overlay) init() {
	o.clusterer.Sets, o.clusterer.Limit = &o.Forest, o.Limit
}

// MultiInput applies the multi-input heuristic to tx (number t of the
// chain), for transactions added after the overlay was seeded.
func (o *Overlay) MultiInput(t uint32, tx *Tx) {
	if tx.Coinbase {
		return
	}
	o.init()
	tx.inAddrs, tx.outVals = tx.inAddrs[:0], tx.outVals[:0]
	for i := range tx.Ins {
		if tx.Ins[i].Addr != NoAddress {
			tx.inAddrs = append(tx.inAddrs, tx.Ins[i].Addr)
		}
	}
	for i := range tx.Outs {
		tx.outVals = append(tx.outVals, tx.Outs[i].Value)
	}
	_, o.scratch = o.clusterer.AddTx(tx.inAddrs, tx.outVals, o.scratch[:0])
	for _, r := range o.scratch {
		o.refuse(t, r)
	}
}

// Decide finds tx's change output under o.Heuristics and merges its
// address into the inputs' cluster. It returns the change output's index,
// or -1.
func (o *Overlay) Decide(t uint32, tx *Tx) int {
	c := Change(tx, o.Heuristics)
	if c < 0 {
		return -1
	}
	o.init()
	o.Changes++
	var in uint32 = NoAddress
	for i := range tx.Ins {
		if tx.Ins[i].Addr != NoAddress {
			in = tx.Ins[i].Addr
			break
		}
	}
	merged, r := o.clusterer.Union(in, tx.Outs[c].Addr)
	if merged {
		o.Merges++
	}
	if r != nil {
		o.refuse(t, *r)
	}
	return c
}

func (o *Overlay) refuse(t uint32, r Refusal) {
	o.Refused++
	if len(o.Refusals) < MaxRefusalsKept {
		o.Refusals = append(o.Refusals, ChangeRefusal{Tx: t, Refusal: r})
	}
}

// Root returns the root of id's cluster in the overlay.
func (o *Overlay) Root(id uint32) uint32 { return Find(&o.Forest, id) }

// Size returns the size of the cluster whose root is root.
func (o *Overlay) Size(root uint32) uint32 { return o.Forest.Size(root) }
