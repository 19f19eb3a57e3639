package trace

import (
	"container/heap"
	"context"
	"fmt"
	"slices"
)

// Start is a start point of a trace: one output, traced in full.
type Start struct {
	Output uint32
}

// Options bound a trace. The zero value traces forward by FIFO with the
// defaults below.
type Options struct {
	Direction Direction
	Policy    Policy
	// MaxDepth is the most transactions followed from a start. Optional;
	// default 10, at most 1,000.
	MaxDepth int
	// MinValue is the smallest taint, in satoshis, followed further.
	// Optional; default 1 (every tainted satoshi).
	MinValue int64
	// MaxFanout is the most outputs (inputs, backward) followed per
	// transaction, the most tainted first. Optional; default 100.
	MaxFanout int
	// MaxNodes is the most transactions visited. Optional; default
	// 100,000, at most 10,000,000.
	MaxNodes int
	// MaxPaths is the most paths reported per entity. Optional; default
	// 100.
	MaxPaths int
	// Labels attributes addresses. Optional; default the Graph if it is a
	// [Labeler], else none.
	Labels Labeler
	// Demix carries a forward trace on through custodial mixers (labels
	// of category [MixerCategory]) by matching each deposit with the
	// mixer's later payouts by amount and timing, when exactly one set
	// fits; see [DemixHop]. It needs a Graph that is a [MixerLister].
	// Optional; default off. Backward traces ignore it.
	Demix bool
	// DemixOptions bound the matching. Optional; see its defaults.
	DemixOptions DemixOptions
}

// Bounds on options and inputs, so that a request cannot ask for
// unbounded work.
const (
	maxDepth  = 1000
	maxNodes  = 10_000_000
	maxStarts = 1_000_000
	maxPaths  = 10_000
	maxIO     = 1 << 20 // inputs or outputs of one transaction
)

func (o *Options) fill() error {
	if o.Direction > Backward || o.Policy > Poison {
		return fmt.Errorf("%w: direction %d or policy %d", ErrBadOptions, o.Direction, o.Policy)
	}
	def := func(v *int, d, hi int, name string) error {
		if *v == 0 {
			*v = d
		}
		if *v < 0 || *v > hi {
			return fmt.Errorf("%w: %s %d not in [1, %d]", ErrBadOptions, name, *v, hi)
		}
		return nil
	}
	if err := def(&o.MaxDepth, 10, maxDepth, "depth"); err != nil {
		return err
	}
	if err := def(&o.MaxFanout, 100, maxIO, "fan-out"); err != nil {
		return err
	}
	if err := def(&o.MaxNodes, 100_000, maxNodes, "node limit"); err != nil {
		return err
	}
	if err := def(&o.MaxPaths, 100, maxPaths, "path limit"); err != nil {
		return err
	}
	if o.MinValue < 0 {
		return fmt.Errorf("%w: min value %d is negative", ErrBadOptions, o.MinValue)
	}
	if o.MinValue == 0 {
		o.MinValue = 1
	}
	if o.Demix {
		return o.DemixOptions.fill()
	}
	return nil
}

// End is why a tainted output was not followed further.
type End uint8

const (
	EndFollowed End = iota // followed into a transaction
	EndEntity              // reached an attributed entity
	EndUnspent             // unspent (forward) or a coinbase's (backward)
	EndDepth               // at the depth limit
	EndMinValue            // taint below the minimum value
	EndFanout              // beyond the fan-out limit
	EndNodes               // the node limit was reached
	EndDemix               // reached a mixer and carried on through matched payouts
)

var endNames = [...]string{"followed", "entity", "unspent", "depth", "min-value", "fan-out", "node-limit", "demixed"}

func (e End) String() string { return endNames[e] }

// node is one tainted output.
type node struct {
	out     Output
	vout    uint32
	taint   int64
	spans   []span
	depth   int
	creator uint32 // creating transaction
	next    uint32 // the transaction it leads to (spender forward, creator backward) when followed
	via     int32  // index in tracer.txs of the transaction that tainted it; -1 for a start
	end     End
	entity  int32 // index in tracer.ents when end is EndEntity
	demix   int32 // index in tracer.demixes when end is EndDemix
	// inferred: the taint came through a de-mix hop on the way here.
	inferred bool
}

// txRec is a transaction the trace went through.
type txRec struct {
	id   uint32
	from []uint32 // the tainted outputs it took taint from
	// demix is 1 + the index in tracer.demixes when this is the inferred
	// link from a mixer deposit (from) to its payouts, not a transaction
	// stepped through; id is then the first payout's transaction.
	demix int32
}

type entity struct {
	Label
	arrivals []uint32 // outputs
}

type tracer struct {
	ctx    context.Context
	g      Graph
	o      Options
	nodes  map[uint32]*node
	starts []uint32
	txs    []txRec
	ents   []*entity
	entIdx map[Label]int32
	queue  txHeap
	queued map[uint32]bool
	done   map[uint32]int32 // transactions stepped through -> index in txs
	hitMax bool

	demixes []demixRec
	roots   map[Label][]uint32 // a mixer's cluster roots, for de-mixing

	ins, outs []Output
	payouts   []Flow
	listed    []Flow
	deposits  []Flow
	open      []Flow
	contested map[uint32]bool // payouts set aside in the de-mix attempt under way
}

// Trace follows the taint of start through g.
func Trace(ctx context.Context, g Graph, start []Start, o Options) (Result, error) {
	if err := o.fill(); err != nil {
		return Result{}, err
	}
	if len(start) == 0 || len(start) > maxStarts {
		return Result{}, fmt.Errorf("%w: %d start outputs, want 1 to %d", ErrBadOptions, len(start), maxStarts)
	}
	if o.Labels == nil {
		if l, ok := g.(Labeler); ok {
			o.Labels = l
		}
	}
	t := &tracer{ctx: ctx, g: g, o: o, nodes: map[uint32]*node{}, entIdx: map[Label]int32{}, queued: map[uint32]bool{}, done: map[uint32]int32{},
		contested: map[uint32]bool{}}
	t.queue.backward = o.Direction == Backward
	if err := t.run(start); err != nil {
		return Result{}, err
	}
	return t.result()
}

func (t *tracer) run(start []Start) error {
	for _, s := range start {
		if _, dup := t.nodes[s.Output]; dup {
			continue
		}
		tx, vout, err := t.g.CreatingTx(s.Output)
		if err != nil {
			return err
		}
		outs, err := t.g.TxOutputs(tx, t.outs[:0])
		t.outs = outs
		if err != nil {
			return err
		}
		if int(vout) >= len(outs) || outs[vout].ID != s.Output {
			return fmt.Errorf("%w: output %d is not output %d of its transaction %d", ErrGraph, s.Output, vout, tx)
		}
		out := outs[vout]
		n := &node{out: out, vout: vout, taint: out.Value, spans: []span{{0, out.Value}}, creator: tx, via: -1}
		t.nodes[s.Output] = n
		t.starts = append(t.starts, s.Output)
		if err := t.visit(n, true); err != nil {
			return err
		}
	}
	for t.queue.Len() > 0 {
		if err := t.ctx.Err(); err != nil {
			return err
		}
		if len(t.txs) >= t.o.MaxNodes {
			t.hitMax = true
			break
		}
		tx := heap.Pop(&t.queue).(uint32)
		t.done[tx] = int32(len(t.txs))
		if err := t.step(tx); err != nil {
			return err
		}
	}
	if t.hitMax {
		for _, n := range t.nodes {
			if _, ok := t.done[n.next]; n.end == EndFollowed && !ok {
				n.end = EndNodes
			}
		}
	}
	return nil
}

// visit decides what becomes of a newly tainted output.
func (t *tracer) visit(n *node, isStart bool) error {
	if !isStart && n.out.Address != NoAddress && t.o.Labels != nil {
		l, ok, err := t.label(n.out.Address)
		if err != nil {
			return err
		}
		if ok {
			// A mixer's payouts count as one hop further.
			if t.o.Demix && t.o.Direction == Forward && isMixer(l) && n.taint >= t.o.MinValue && n.depth < t.o.MaxDepth {
				ok, err := t.demix(n, l)
				if err != nil || ok {
					return err
				}
			}
			i, seen := t.entIdx[l]
			if !seen {
				i = int32(len(t.ents))
				t.entIdx[l] = i
				t.ents = append(t.ents, &entity{Label: l})
			}
			t.ents[i].arrivals = append(t.ents[i].arrivals, n.out.ID)
			n.end, n.entity = EndEntity, i
			return nil
		}
	}
	switch {
	case n.depth >= t.o.MaxDepth:
		n.end = EndDepth
		return nil
	case n.taint < t.o.MinValue:
		n.end = EndMinValue
		return nil
	}
	next, ok := n.creator, true
	if t.o.Direction == Forward {
		var err error
		next, ok, err = t.g.SpendingTx(n.out.ID)
		if err != nil {
			return err
		}
		if ok && next <= n.creator {
			return fmt.Errorf("%w: output %d of tx %d spent by earlier tx %d", ErrGraph, n.out.ID, n.creator, next)
		}
	} else {
		ins, err := t.g.TxInputs(n.creator, t.ins[:0])
		t.ins = ins
		if err != nil {
			return err
		}
		ok = len(ins) > 0 // a coinbase is where money begins
	}
	if !ok {
		n.end = EndUnspent
		return nil
	}
	n.end, n.next = EndFollowed, next
	if !t.queued[next] {
		t.queued[next] = true
		heap.Push(&t.queue, next)
	}
	return nil
}

func (t *tracer) label(a uint32) (Label, bool, error) {
	if e, c, ok := t.o.Labels.Label(a); ok {
		return Label{e, c}, true, nil
	}
	r, err := t.g.ClusterRoot(a)
	if err != nil {
		return Label{}, false, err
	}
	if r != a {
		if e, c, ok := t.o.Labels.Label(r); ok {
			return Label{e, c}, true, nil
		}
	}
	return Label{}, false, nil
}

// step passes taint through transaction tx.
func (t *tracer) step(tx uint32) error {
	ins, err := t.g.TxInputs(tx, t.ins[:0])
	t.ins = ins
	if err != nil {
		return err
	}
	outs, err := t.g.TxOutputs(tx, t.outs[:0])
	t.outs = outs
	if err != nil {
		return err
	}
	if len(ins) > maxIO || len(outs) > maxIO {
		return fmt.Errorf("%w: tx %d has %d inputs and %d outputs", ErrGraph, tx, len(ins), len(outs))
	}
	src, dst := ins, outs
	if t.o.Direction == Backward {
		src, dst = outs, ins
	}
	var totalIn int64
	for _, in := range ins {
		totalIn += in.Value
	}
	f := flow{vals: make([]int64, len(src)), taint: make([]int64, len(src)), spans: make([][]span, len(src)), sink: make([]int64, len(dst))}
	rec := txRec{id: tx}
	depth := maxDepth + 1
	inferred := false
	for i, s := range src {
		f.vals[i] = s.Value
		n, ok := t.nodes[s.ID]
		if !ok || n.end != EndFollowed || n.next != tx {
			continue
		}
		f.taint[i], f.spans[i] = n.taint, n.spans
		rec.from = append(rec.from, s.ID)
		depth = min(depth, n.depth)
		inferred = inferred || n.inferred
	}
	if len(rec.from) == 0 {
		return fmt.Errorf("%w: tx %d queued without tainted inputs", ErrGraph, tx)
	}
	for j, d := range dst {
		f.sink[j] = d.Value
	}
	outTaint := make([]int64, len(dst))
	outSpans := make([][]span, len(dst))
	spread(t.o.Policy, &f, t.o.Direction == Forward, totalIn, outTaint, outSpans)

	via := int32(len(t.txs))
	t.txs = append(t.txs, rec)
	order := make([]int, 0, len(dst))
	for j := range dst {
		if outTaint[j] > 0 {
			order = append(order, j)
		}
	}
	// The most tainted first, so the fan-out limit drops the least.
	slices.SortStableFunc(order, func(a, b int) int {
		if outTaint[a] != outTaint[b] {
			if outTaint[a] > outTaint[b] {
				return -1
			}
			return 1
		}
		return a - b
	})
	for k, j := range order {
		d := dst[j]
		if _, seen := t.nodes[d.ID]; seen {
			continue // a start output met again: it is already counted
		}
		creator, vout := tx, uint32(j)
		if t.o.Direction == Backward {
			if creator, vout, err = t.g.CreatingTx(d.ID); err != nil {
				return err
			}
			if creator >= tx {
				return fmt.Errorf("%w: tx %d spends output %d of later tx %d", ErrGraph, tx, d.ID, creator)
			}
		}
		n := &node{out: d, vout: vout, taint: outTaint[j], spans: outSpans[j], depth: depth + 1, creator: creator, via: via, inferred: inferred}
		t.nodes[d.ID] = n
		if k >= t.o.MaxFanout {
			n.end = EndFanout
			continue
		}
		if err := t.visit(n, false); err != nil {
			return err
		}
	}
	return nil
}

// txHeap orders pending transactions: ascending going forward, so that a
// transaction is handled after every transaction that can taint it;
// descending going backward.
type txHeap struct {
	ids      []uint32
	backward bool
}

func (h txHeap) Len() int { return len(h.ids) }
func (h txHeap) Less(i, j int) bool {
	if h.backward {
		return h.ids[i] > h.ids[j]
	}
	return h.ids[i] < h.ids[j]
}
func (h txHeap) Swap(i, j int) { h.ids[i], h.ids[j] = h.ids[j], h.ids[i] }
func (h *txHeap) Push(x any)   { h.ids = append(h.ids, x.(uint32)) }
func (h *txHeap) Pop() any {
	x := h.ids[len(h.ids)-1]
	h.ids = h.ids[:len(h.ids)-1]
	return x
}
