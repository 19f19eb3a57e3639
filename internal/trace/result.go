package trace

import (
	"cmp"
	"slices"
	"strconv"
)

// Result is what a trace found; see the package doc for its JSON.
type Result struct {
	Direction string `json:"direction"`
	Policy    string `json:"policy"`
	Start     []Hop  `json:"start"`
	// Total is the value of the start outputs; Attributed reached
	// entities, Unspent ended unspent (forward) or at a coinbase
	// (backward), Stopped ended at a limit. The rest went to fees or, by
	// haircut, to rounding.
	Total      int64 `json:"total"`
	Attributed int64 `json:"attributed"`
	Unspent    int64 `json:"unspent"`
	Stopped    int64 `json:"stopped"`
	// Demixed is the taint of mixer deposits carried on through matched
	// payouts (with [Options.Demix]); the payouts' taint is counted where
	// it went, the mixer's fee is lost like a transaction fee.
	Demixed    int64          `json:"demixed,omitempty"`
	TxsVisited int            `json:"txs_visited"`
	Truncated  bool           `json:"truncated"` // the node limit was reached
	Entities   []EntityResult `json:"entities"`  // by value received, largest first
	Graph      Drawing        `json:"graph"`
	// Demix lists every de-mix attempt, matched or not, in deposit
	// output order (with [Options.Demix]).
	Demix []DemixHop `json:"demix,omitempty"`
}

// Hop is one output on a path, with the taint it carried.
type Hop struct {
	TxID    string `json:"txid"`
	Vout    uint32 `json:"vout"`
	Value   int64  `json:"value"`
	Address string `json:"address,omitempty"`
}

// Path is one way taint went from a start output to an entity.
type Path struct {
	Hops []Hop `json:"hops"`
	// Inferred lists the hops (indexes in Hops) that are mixer payouts
	// matched to the hop before, a deposit, by amount and timing (see
	// [DemixHop]): no transaction links the two.
	Inferred []int `json:"inferred,omitempty"`
}

// EntityResult is what one attributed entity received (forward) or sent
// (backward).
type EntityResult struct {
	Entity   string `json:"entity"`
	Category string `json:"category"`
	Value    int64  `json:"value"`
	// Direct is the part of Value one transaction away from a start.
	Direct int64 `json:"direct"`
	// Inferred is the part of Value that came through a de-mix hop.
	Inferred       int64  `json:"inferred,omitempty"`
	Arrivals       int    `json:"arrivals"`
	FirstHeight    uint32 `json:"first_height"`
	LastHeight     uint32 `json:"last_height"`
	FirstTime      int64  `json:"first_time"`
	LastTime       int64  `json:"last_time"`
	Paths          []Path `json:"paths"`
	PathsTruncated bool   `json:"paths_truncated"`
}

// Drawing is the trace as a graph: transactions, entities and the ends of
// taint as nodes, tainted outputs as edges the way money moved.
type Drawing struct {
	Nodes []DrawNode `json:"nodes"`
	Edges []DrawEdge `json:"edges"`
}

// DrawNode kinds are "tx", "entity", "start", "end" (an output where
// the trace stopped; Label says why: unspent, depth, min-value, fan-out,
// node-limit) and "demix": a mixer (Label) between a deposit, its edge
// in, and the payouts matched to it, its edges out; an inference, not a
// transaction.
type DrawNode struct {
	ID       string `json:"id"`
	Kind     string `json:"kind"`
	Label    string `json:"label,omitempty"`
	Category string `json:"category,omitempty"`
	Height   uint32 `json:"height,omitempty"`
}

// DrawEdge is one tainted output.
type DrawEdge struct {
	From   string `json:"from"`
	To     string `json:"to"`
	Output string `json:"output"` // txid:vout
	Value  int64  `json:"value"`  // taint
}

type builder struct {
	t     *tracer
	infos map[uint32]TxInfo
	nodes map[string]DrawNode
	drawn []DrawEdge
}

func (b *builder) info(tx uint32) (TxInfo, error) {
	if x, ok := b.infos[tx]; ok {
		return x, nil
	}
	x, err := b.t.g.TxInfo(tx)
	if err != nil {
		return TxInfo{}, err
	}
	b.infos[tx] = x
	return x, nil
}

func (b *builder) hop(n *node) (Hop, error) {
	x, err := b.info(n.creator)
	if err != nil {
		return Hop{}, err
	}
	h := Hop{TxID: x.TxID, Vout: n.vout, Value: n.taint}
	if n.out.Address != NoAddress {
		if h.Address, err = b.t.g.AddressString(n.out.Address); err != nil {
			return Hop{}, err
		}
	}
	return h, nil
}

func (b *builder) txNode(tx uint32) (string, error) {
	x, err := b.info(tx)
	if err != nil {
		return "", err
	}
	id := "tx:" + x.TxID
	b.nodes[id] = DrawNode{ID: id, Kind: "tx", Height: x.Height}
	return id, nil
}

func (t *tracer) result() (Result, error) {
	b := &builder{t: t, infos: map[uint32]TxInfo{}, nodes: map[string]DrawNode{}}
	r := Result{Direction: t.o.Direction.String(), Policy: t.o.Policy.String(), Truncated: t.hitMax}
	for _, x := range t.txs {
		if x.demix == 0 { // a de-mix link is no transaction stepped through
			r.TxsVisited++
		}
	}
	for _, o := range t.starts {
		n := t.nodes[o]
		h, err := b.hop(n)
		if err != nil {
			return Result{}, err
		}
		r.Start = append(r.Start, h)
		r.Total += n.taint
	}
	ids := make([]uint32, 0, len(t.nodes))
	for id := range t.nodes {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	for _, id := range ids {
		n := t.nodes[id]
		switch n.end {
		case EndEntity:
			r.Attributed += n.taint
		case EndUnspent:
			r.Unspent += n.taint
		case EndDepth, EndMinValue, EndFanout, EndNodes:
			r.Stopped += n.taint
		case EndDemix:
			r.Demixed += n.taint
		}
		if err := b.edge(n); err != nil {
			return Result{}, err
		}
	}
	for _, e := range t.ents {
		er, err := b.entity(e)
		if err != nil {
			return Result{}, err
		}
		r.Entities = append(r.Entities, er)
	}
	slices.SortFunc(r.Entities, func(a, b EntityResult) int {
		if c := cmp.Compare(b.Value, a.Value); c != 0 {
			return c
		}
		return cmp.Or(cmp.Compare(a.Entity, b.Entity), cmp.Compare(a.Category, b.Category))
	})
	demixes := slices.Clone(t.demixes)
	slices.SortStableFunc(demixes, func(a, b demixRec) int { return cmp.Compare(a.deposit, b.deposit) })
	for _, d := range demixes {
		h, err := b.demixHop(d)
		if err != nil {
			return Result{}, err
		}
		r.Demix = append(r.Demix, h)
	}
	for _, n := range b.nodes {
		r.Graph.Nodes = append(r.Graph.Nodes, n)
	}
	slices.SortFunc(r.Graph.Nodes, func(a, b DrawNode) int { return cmp.Compare(a.ID, b.ID) })
	r.Graph.Edges = b.drawn
	slices.SortFunc(r.Graph.Edges, func(a, b DrawEdge) int {
		return cmp.Or(cmp.Compare(a.From, b.From), cmp.Compare(a.To, b.To), cmp.Compare(a.Output, b.Output))
	})
	return r, nil
}

// edge draws tainted output n from its creating to its spending side.
func (b *builder) edge(n *node) error {
	t := b.t
	x, err := b.info(n.creator)
	if err != nil {
		return err
	}
	outID := x.TxID + ":" + strconv.FormatUint(uint64(n.vout), 10)
	// far is where the trace went on from n, near where it came from.
	var far string
	switch {
	case n.end == EndEntity:
		e := t.ents[n.entity]
		far = "entity:" + e.Entity
		b.nodes[far] = DrawNode{ID: far, Kind: "entity", Label: e.Entity, Category: e.Category}
	case n.end == EndDemix:
		far, err = b.demixNode(n.demix)
		if err != nil {
			return err
		}
	case n.end == EndFollowed:
		if t.o.Direction == Forward {
			far, err = b.txNode(n.next)
		} else {
			far, err = b.txNode(n.creator)
		}
		if err != nil {
			return err
		}
	default:
		far = "end:" + outID
		b.nodes[far] = DrawNode{ID: far, Kind: "end", Label: n.end.String()}
	}
	var near string
	switch {
	case n.via >= 0 && t.txs[n.via].demix > 0:
		near, err = b.demixNode(t.txs[n.via].demix - 1)
	case n.via >= 0 && t.o.Direction == Forward:
		near, err = b.txNode(n.creator)
	case n.via >= 0:
		near, err = b.txNode(t.txs[n.via].id)
	case t.o.Direction == Forward:
		near, err = b.txNode(n.creator)
	default:
		near = "start:" + outID
		b.nodes[near] = DrawNode{ID: near, Kind: "start"}
	}
	if err != nil {
		return err
	}
	e := DrawEdge{From: near, To: far, Output: outID, Value: n.taint}
	if t.o.Direction == Backward {
		e.From, e.To = far, near
	}
	b.drawn = append(b.drawn, e)
	return nil
}

func (b *builder) entity(e *entity) (EntityResult, error) {
	t := b.t
	r := EntityResult{Entity: e.Entity, Category: e.Category, Arrivals: len(e.arrivals)}
	for k, o := range e.arrivals {
		n := t.nodes[o]
		r.Value += n.taint
		if n.depth == 1 {
			r.Direct += n.taint
		}
		if n.inferred {
			r.Inferred += n.taint
		}
		x, err := b.info(n.creator)
		if err != nil {
			return r, err
		}
		if k == 0 || x.Height < r.FirstHeight || (x.Height == r.FirstHeight && x.Time < r.FirstTime) {
			r.FirstHeight, r.FirstTime = x.Height, x.Time
		}
		if k == 0 || x.Height > r.LastHeight || (x.Height == r.LastHeight && x.Time > r.LastTime) {
			r.LastHeight, r.LastTime = x.Height, x.Time
		}
		if !r.PathsTruncated {
			if err := b.paths(n, nil, &r); err != nil {
				return r, err
			}
		}
	}
	return r, nil
}

// paths appends to r every path from a start to n, stopping once
// MaxPaths are reported. suffix is the path from n onwards, reversed.
func (b *builder) paths(n *node, suffix []*node, r *EntityResult) error {
	t := b.t
	suffix = append(suffix, n)
	if n.via < 0 {
		if len(r.Paths) >= t.o.MaxPaths {
			r.PathsTruncated = true
			return nil
		}
		p := Path{Hops: make([]Hop, 0, len(suffix))}
		for i := len(suffix) - 1; i >= 0; i-- {
			h, err := b.hop(suffix[i])
			if err != nil {
				return err
			}
			if n := suffix[i]; n.via >= 0 && t.txs[n.via].demix > 0 {
				p.Inferred = append(p.Inferred, len(p.Hops))
			}
			p.Hops = append(p.Hops, h)
		}
		r.Paths = append(r.Paths, p)
		return nil
	}
	for _, f := range t.txs[n.via].from {
		if r.PathsTruncated {
			return nil
		}
		if err := b.paths(t.nodes[f], suffix, r); err != nil {
			return err
		}
	}
	return nil
}
