package cluster

import "slices"

// Forest is a union-find forest held in memory, 12 bytes an address: the
// [Sets] of an overlay computed for one analysis, beside the index's
// stored forest. It keeps each cluster's members in a ring ([Ringer]), so
// that listing a cluster walks its members, not every address.
type Forest struct{ parent, size, next []uint32 }

var (
	_ Sets   = (*Forest)(nil)
	_ Ringer = (*Forest)(nil)
)

// Add adds a new id, its own root of size 1, and returns it.
func (f *Forest) Add() uint32 {
	id := uint32(len(f.parent))
	f.parent = append(f.parent, id)
	f.size = append(f.size, 1)
	f.next = append(f.next, id)
	return id
}

// Grow makes room for n ids in all without reallocating.
func (f *Forest) Grow(n int) {
	if n > cap(f.parent) {
		f.parent = append(make([]uint32, 0, n), f.parent...)
		f.size = append(make([]uint32, 0, n), f.size...)
		f.next = append(make([]uint32, 0, n), f.next...)
	}
}

// Splice implements [Ringer]: it joins the member rings of a and b.
func (f *Forest) Splice(a, b uint32) { f.next[a], f.next[b] = f.next[b], f.next[a] }

// SetNext sets the member after id in its cluster's ring, for a forest
// seeded with clusters made elsewhere.
func (f *Forest) SetNext(id, next uint32) { f.next[id] = next }

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
// [Overlay.MultiInput] for transactions the seed did not cover,
// [Overlay.Decide] once for each transaction when it can be decided (see
// [Change]), and with [BySweep], [Overlay.Sweep] for every transaction on
// arrival, after MultiInput. Sweep reads the clusters as they stand at
// that transaction, so an overlay with BySweep must be built from
// clusters of one address in chain order, not seeded with the index's
// forest, which already holds later co-spends.
type Overlay struct {
	// Heuristics chosen. Zero adds nothing to multi-input clustering.
	Heuristics Heuristics
	// Limit is the guard of [Clusterer.Limit]: zero means DefaultLimit,
	// negative no limit.
	Limit int
	// SweepMin is K of [BySweep]: how many sweeps from distinct clusters
	// an address must have received before a sweep into it merges.
	// Optional: zero means DefaultSweepMin; at most MaxSweepMin.
	SweepMin int
	// Txs is how many transactions of the chain the overlay covers; the
	// next update starts there.
	Txs uint32

	Forest Forest
	// Changes counts change outputs found, Merges the merges they and
	// sweeps made (a change output already in the inputs' cluster makes
	// none). Sweeps counts the sweeps merged into collectors, Collectors
	// the addresses found to be collectors.
	Changes, Merges    uint64
	Sweeps, Collectors uint64
	// Refused counts merges the guard refused; the first
	// MaxRefusalsKept are in Refusals with their reasons.
	Refused  uint64
	Refusals []ChangeRefusal

	clusterer Clusterer
	scratch   []Refusal
	// sinks holds, for each address that received a sweep, what decides
	// whether it is a collector.
	sinks map[uint32]*sink
}

// DefaultSweepMin is the default of [Overlay.SweepMin]. A custodial
// service sweeps thousands of deposits into one hot address, so waiting
// for ten costs it almost nothing (the ten are merged once it qualifies);
// a person's reused address rarely receives ten whole-address sweeps in a
// row from ten unlinked wallets with one fingerprint.
const DefaultSweepMin = 10

// MaxSweepMin bounds [Overlay.SweepMin], and so the sources remembered
// for each address.
const MaxSweepMin = 1000

// sink is the state of one address receiving sweeps. Until it qualifies,
// sources holds an address of each distinct cluster that swept into it
// with fingerprint fp; a sweep of another fingerprint starts the count
// again. Once len(sources) reaches K the sink is a collector with
// fingerprint fp for good, and sources is dropped after their merge.
type sink struct {
	fp        Fingerprint
	collector bool
	sources   []uint32
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
	o.union(t, in, tx.Outs[c].Addr)
	return c
}

// Sweep applies [BySweep] to tx, number t of the chain: a transaction
// whose inputs all have addresses in one cluster, and whose one output
// (no other carries value) pays an address X that had received an output
// before. If X is a collector, having already received sweeps from
// SweepMin distinct clusters, the last SweepMin of them with tx's wallet
// fingerprint (witness bit aside) and none of another in between, the
// inputs' cluster merges into X's through the guard, and so do the
// clusters of those earlier sweeps when X first qualifies. Otherwise tx
// is counted towards X's qualifying. It reports whether tx merged.
//
// What it guards against, and what it does not:
//   - a person emptying an address into a friend's or a merchant's
//     reused address: one sweep, or a few from the person's own linked
//     addresses, is far below K distinct clusters;
//   - a donation address paid "send max" by many: donors' wallets differ,
//     and a sweep of another fingerprint starts the count again; a run of
//     K donors with one wallet program is not guarded against;
//   - an address receiving K sweeps from the clusters of its own owner,
//     unlinked by co-spending (an individual consolidating wallet after
//     wallet into one savings address), is merged, rightly;
//   - the decision uses only transactions up to tx, so updates block by
//     block equal one pass.
func (o *Overlay) Sweep(t uint32, tx *Tx) bool {
	if o.Heuristics&BySweep == 0 || tx.Coinbase || len(tx.Ins) == 0 {
		return false
	}
	x := NoAddress
	for i := range tx.Outs {
		out := &tx.Outs[i]
		if out.Value <= 0 {
			continue
		}
		if out.Addr == NoAddress || x != NoAddress || !out.Seen {
			return false // value to no address, a second output, or a fresh address
		}
		x = out.Addr
	}
	n := uint32(o.Forest.Len())
	if x == NoAddress || x >= n {
		return false // no address, or one the forest does not hold yet
	}
	o.init()
	src := NoAddress
	var root uint32
	for i := range tx.Ins {
		a := tx.Ins[i].Addr
		if a == NoAddress || a == x || a >= n {
			return false // an input of unknown owner, or X paying itself
		}
		if src == NoAddress {
			src, root = a, Find(&o.Forest, a)
		} else if Find(&o.Forest, a) != root {
			return false // inputs of several clusters: the guard refused their merge
		}
	}
	xr := Find(&o.Forest, x)
	if root == xr {
		return false // already one cluster: proves nothing about X
	}
	if o.sinks == nil {
		o.sinks = map[uint32]*sink{}
	}
	s := o.sinks[x]
	if s == nil {
		s = &sink{fp: tx.FP}
		o.sinks[x] = s
	}
	const program = ^Fingerprint(1 << 6)
	if s.collector {
		if tx.FP&program != s.fp&program {
			return false
		}
		o.Sweeps++
		o.union(t, src, x)
		return true
	}
	if tx.FP&program != s.fp&program {
		s.fp, s.sources = tx.FP, s.sources[:0]
	}
	for _, a := range s.sources {
		if Find(&o.Forest, a) == root {
			return false // not a distinct cluster
		}
	}
	if len(s.sources) < o.sweepMin() {
		s.sources = append(s.sources, src)
		return false
	}
	// X received K sweeps from distinct clusters before tx: a collector.
	s.collector = true
	o.Collectors++
	for _, a := range s.sources {
		o.Sweeps++
		o.union(t, a, x)
	}
	s.sources = nil
	o.Sweeps++
	o.union(t, src, x)
	return true
}

func (o *Overlay) sweepMin() int {
	switch {
	case o.SweepMin <= 0:
		return DefaultSweepMin
	case o.SweepMin > MaxSweepMin:
		return MaxSweepMin
	}
	return o.SweepMin
}

// union merges a's cluster with b's through the guard, counting the
// merge or recording the refusal as made for transaction t.
func (o *Overlay) union(t, a, b uint32) {
	merged, r := o.clusterer.Union(a, b)
	if merged {
		o.Merges++
	}
	if r != nil {
		o.refuse(t, *r)
	}
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

// Members returns up to limit addresses of the cluster whose root is
// root, in id order when limit covers the cluster (else the first limit
// found walking its ring, sorted). It walks the cluster's member ring.
func (o *Overlay) Members(root uint32, limit int) []uint32 {
	if int(root) >= o.Forest.Len() || limit <= 0 {
		return nil
	}
	ids := []uint32{root}
	for m := o.Forest.next[root]; m != root && len(ids) < limit; m = o.Forest.next[m] {
		ids = append(ids, m)
	}
	slices.Sort(ids)
	return ids
}

// Holds reports whether address id is in the cluster whose root is root;
// an id the overlay has not seen is not.
func (o *Overlay) Holds(root, id uint32) bool {
	return int(id) < o.Forest.Len() && o.Root(id) == root
}
