package trace

import (
	"context"
	"fmt"
)

// Exposure is how much of an address's or cluster's money went to
// (forward) or came from (backward) each category of entity.
type Exposure struct {
	Forward  ExposureSide `json:"forward"`
	Backward ExposureSide `json:"backward"`
}

// ExposureSide holds satoshis by category. Direct is what moved in one
// transaction, Indirect through more. Own is what reached the entities
// the start addresses themselves are attributed to (an exchange paying
// into its own wallet): not exposure, so in no category; Direct, Indirect
// and Own add up to Attributed. Total, Attributed, Unspent, Stopped
// and Truncated are the side's trace's (see [Result]): Stopped says how
// much the depth, minimum value, fan-out and node limits left unfollowed,
// Truncated only whether the node limit was reached.
type ExposureSide struct {
	Total      int64            `json:"total"`
	Attributed int64            `json:"attributed"`
	Unspent    int64            `json:"unspent"`
	Stopped    int64            `json:"stopped"`
	Own        int64            `json:"own"`
	Direct     map[string]int64 `json:"direct"`
	Indirect   map[string]int64 `json:"indirect"`
	Truncated  bool             `json:"truncated"`
}

// ExposureOf traces start both ways with o (its Direction is ignored) and
// sums what reached attributed entities by category, but for the start
// addresses' own entities.
func ExposureOf(ctx context.Context, g Graph, start []Start, o Options) (Exposure, error) {
	var x Exposure
	own, err := ownLabels(g, start, o)
	if err != nil {
		return Exposure{}, err
	}
	for _, d := range []Direction{Forward, Backward} {
		o.Direction = d
		r, err := Trace(ctx, g, start, o)
		if err != nil {
			return Exposure{}, err
		}
		side := ExposureSide{Total: r.Total, Attributed: r.Attributed, Unspent: r.Unspent, Stopped: r.Stopped,
			Direct: map[string]int64{}, Indirect: map[string]int64{}, Truncated: r.Truncated}
		for _, e := range r.Entities {
			if own[Label{Entity: e.Entity, Category: e.Category}] {
				side.Own += e.Value
				continue
			}
			if e.Direct > 0 {
				side.Direct[e.Category] += e.Direct
			}
			if e.Value > e.Direct {
				side.Indirect[e.Category] += e.Value - e.Direct
			}
		}
		if d == Forward {
			x.Forward = side
		} else {
			x.Backward = side
		}
	}
	return x, nil
}

// ownLabels returns the labels of the start outputs' addresses, looked up
// as a trace looks up the addresses it reaches.
func ownLabels(g Graph, start []Start, o Options) (map[Label]bool, error) {
	if len(start) > maxStarts {
		return nil, fmt.Errorf("%w: %d start outputs, want 1 to %d", ErrBadOptions, len(start), maxStarts)
	}
	if o.Labels == nil {
		l, ok := g.(Labeler)
		if !ok {
			return nil, nil
		}
		o.Labels = l
	}
	t := &tracer{g: g, o: o}
	own := map[Label]bool{}
	seen := map[uint32]bool{}
	for _, s := range start {
		tx, vout, err := g.CreatingTx(s.Output)
		if err != nil {
			return nil, err
		}
		if t.outs, err = g.TxOutputs(tx, t.outs[:0]); err != nil {
			return nil, err
		}
		if int(vout) >= len(t.outs) {
			return nil, fmt.Errorf("%w: output %d is not output %d of its transaction %d", ErrGraph, s.Output, vout, tx)
		}
		a := t.outs[vout].Address
		if a == NoAddress || seen[a] {
			continue
		}
		seen[a] = true
		l, ok, err := t.label(a)
		if err != nil {
			return nil, err
		}
		if ok {
			own[l] = true
		}
	}
	return own, nil
}
