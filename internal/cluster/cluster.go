// Package cluster groups Bitcoin addresses into the wallets that control
// them, over the dense address ids of an index.
//
// It is a domain package: it works over ids through the small [Sets]
// interface and over values it is given, and opens no file. The index
// (internal/chainindex) owns the storage and persists the forest within its
// checkpoints; this package decides which merges to make.
//
// # Multi-input heuristic
//
// All inputs of a transaction are signed by one wallet, so their addresses
// belong together ([Clusterer.AddTx]) — except in a CoinJoin, where several
// people sign one transaction on purpose. [DetectCoinJoin] recognises the
// equal-output mixes: Whirlpool (5 inputs, 5 equal outputs), Wasabi-like
// rounds and JoinMarket (several equal outputs, each with a change output),
// and the generic case (at least 3 outputs of one value and at least 2
// distinct input addresses). Such transactions are skipped.
//
// # Change heuristics
//
// Change heuristics (change.go: address type, round values, optimal
// change, fresh vs reused address, wallet fingerprints, peeling chains)
// guess which output of a payment went back to the payer. A wrong guess is
// a permanent false merge, so they are never applied to the index's
// forest: an analysis chooses a [Heuristics] set and an [Overlay] applies
// it in memory on top of the multi-input clusters, with the same guard.
//
// # Union-find
//
// Clusters are a union-find forest with path compression and union by
// size: each merge costs nearly constant time, so clusters stay current
// block by block with no recomputation. A merge is permanent, so a guard
// refuses one that would join two clusters both larger than
// [Clusterer.Limit] addresses (a false merge between two big clusters is
// how one bad heuristic collapses an exchange into its customers), and
// reports it for the caller to record.
package cluster

// Sets stores a union-find forest over dense ids 0..n-1. A new id is its
// own root with size 1; the caller adds ids as addresses appear.
type Sets interface {
	Parent(id uint32) uint32
	SetParent(id, parent uint32)
	// Size is meaningful for roots only.
	Size(id uint32) uint32
	SetSize(id, size uint32)
}

// Ringer is implemented by a [Sets] that also keeps each cluster's members
// in a ring (a circular list of next pointers; a new id is a ring of one),
// so that members are listed in time proportional to the cluster, not to
// all addresses. Union splices the rings of the two roots it joins, which
// is one swap of their next pointers.
type Ringer interface {
	Splice(a, b uint32)
}

// DefaultLimit is the default of [Clusterer.Limit].
const DefaultLimit = 10_000

// Find returns the root of id's cluster, compressing the path it walked.
func Find(s Sets, id uint32) uint32 {
	root := id
	for {
		p := s.Parent(root)
		if p == root {
			break
		}
		root = p
	}
	for id != root {
		next := s.Parent(id)
		if next != root {
			s.SetParent(id, root)
		}
		id = next
	}
	return root
}

// FindReadOnly returns the root of id's cluster without writing, for
// readers of a forest they must not change. It gives up after maxSteps
// (a corrupt forest could hold a cycle) and returns ok false.
func FindReadOnly(s Sets, id uint32, maxSteps int) (root uint32, ok bool) {
	for range maxSteps {
		p := s.Parent(id)
		if p == id {
			return id, true
		}
		id = p
	}
	return id, false
}

// Reason says why a merge was refused.
type Reason uint32

const (
	// ReasonSize: both clusters were larger than the limit.
	ReasonSize Reason = 1
)

func (r Reason) String() string {
	if r == ReasonSize {
		return "both clusters above the size limit"
	}
	return "unknown"
}

// Refusal is a merge the guard refused.
type Refusal struct {
	A, B         uint32 // the addresses whose clusters would have merged
	SizeA, SizeB uint32
	Reason       Reason
}

// Clusterer applies the multi-input heuristic to a forest.
type Clusterer struct {
	Sets Sets
	// Limit refuses a merge of two clusters both larger than Limit
	// addresses. Zero means DefaultLimit; negative means no limit.
	Limit int
	// Merges counts the merges made, so that clusters = addresses - Merges
	// (the caller persists it).
	Merges uint64
}

func (c *Clusterer) limit() uint32 {
	switch {
	case c.Limit == 0:
		return DefaultLimit
	case c.Limit < 0 || c.Limit > 1<<32-1:
		return 1<<32 - 1
	}
	return uint32(c.Limit)
}

// Union merges the clusters of a and b. It reports whether they merged
// and, if the guard refused, why.
func (c *Clusterer) Union(a, b uint32) (merged bool, refused *Refusal) {
	ra, rb := Find(c.Sets, a), Find(c.Sets, b)
	if ra == rb {
		return false, nil
	}
	sa, sb := c.Sets.Size(ra), c.Sets.Size(rb)
	if lim := c.limit(); sa > lim && sb > lim {
		return false, &Refusal{A: a, B: b, SizeA: sa, SizeB: sb, Reason: ReasonSize}
	}
	if sa < sb || (sa == sb && rb < ra) {
		// Union by size; ties go to the older address so the result does
		// not depend on argument order.
		ra, rb, sa, sb = rb, ra, sb, sa
	}
	c.Sets.SetParent(rb, ra)
	c.Sets.SetSize(ra, sa+sb)
	if r, ok := c.Sets.(Ringer); ok {
		r.Splice(ra, rb)
	}
	c.Merges++
	return true, nil
}

// AddTx applies the multi-input heuristic to one transaction: inputs holds
// the address ids of its inputs (duplicates allowed; inputs without an
// address left out) and outputs the values of its outputs. It returns the
// CoinJoin kind that made it skip the transaction (NotCoinJoin if it did
// not) and the refused merges, appended to refusals.
func (c *Clusterer) AddTx(inputs []uint32, outputs []int64, refusals []Refusal) (CoinJoin, []Refusal) {
	if len(inputs) < 2 {
		return NotCoinJoin, refusals
	}
	if kind := DetectCoinJoin(inputs, outputs); kind != NotCoinJoin {
		return kind, refusals
	}
	first := inputs[0]
	for _, a := range inputs[1:] {
		if a == first {
			continue
		}
		if _, r := c.Union(first, a); r != nil {
			refusals = append(refusals, *r)
		}
	}
	return NotCoinJoin, refusals
}
