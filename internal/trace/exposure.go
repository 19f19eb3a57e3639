package trace

import "context"

// Exposure is how much of an address's or cluster's money went to
// (forward) or came from (backward) each category of entity.
type Exposure struct {
	Forward  ExposureSide `json:"forward"`
	Backward ExposureSide `json:"backward"`
}

// ExposureSide holds satoshis by category. Direct is what moved in one
// transaction, Indirect through more.
type ExposureSide struct {
	Total     int64            `json:"total"`
	Direct    map[string]int64 `json:"direct"`
	Indirect  map[string]int64 `json:"indirect"`
	Truncated bool             `json:"truncated"`
}

// ExposureOf traces start both ways with o (its Direction is ignored) and
// sums what reached attributed entities by category.
func ExposureOf(ctx context.Context, g Graph, start []Start, o Options) (Exposure, error) {
	var x Exposure
	for _, d := range []Direction{Forward, Backward} {
		o.Direction = d
		r, err := Trace(ctx, g, start, o)
		if err != nil {
			return Exposure{}, err
		}
		side := ExposureSide{Total: r.Total, Direct: map[string]int64{}, Indirect: map[string]int64{}, Truncated: r.Truncated}
		for _, e := range r.Entities {
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
