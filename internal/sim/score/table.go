package score

// CollapseMin is how many addresses each of two entities must have in one
// cluster for it to count as collapsed.
const CollapseMin = 100

// Table is a contingency table of predicted cluster x true entity counts.
// The zero value is not ready: use [NewTable].
type Table struct {
	cells    map[uint64]uint32 // cluster<<32 | entity -> addresses
	clusters map[uint32]uint32
	entities map[uint32]uint32
}

// NewTable returns an empty table.
func NewTable() *Table {
	return &Table{cells: map[uint64]uint32{}, clusters: map[uint32]uint32{}, entities: map[uint32]uint32{}}
}

// Add counts one address of entity in cluster.
func (t *Table) Add(cluster, entity uint32) {
	t.cells[uint64(cluster)<<32|uint64(entity)]++
	t.clusters[cluster]++
	t.entities[entity]++
}

// Pairs are pairwise clustering scores with the counts they come from.
type Pairs struct {
	TruePositives  uint64  `json:"true_positive_pairs"`
	PredictedPairs uint64  `json:"predicted_pairs"`
	TruePairs      uint64  `json:"true_pairs"`
	Precision      float64 `json:"precision"`
	Recall         float64 `json:"recall"`
	F1             float64 `json:"f1"`
}

func pairs(n uint32) uint64 { return uint64(n) * (uint64(n) - 1) / 2 }

func ratio(a, b uint64) float64 {
	if b == 0 {
		return 1
	}
	return float64(a) / float64(b)
}

func newPairs(tp, pred, truth uint64) Pairs {
	p := Pairs{TruePositives: tp, PredictedPairs: pred, TruePairs: truth,
		Precision: ratio(tp, pred), Recall: ratio(tp, truth)}
	if p.Precision+p.Recall > 0 {
		p.F1 = 2 * p.Precision * p.Recall / (p.Precision + p.Recall)
	}
	return p
}

// Merges counts clusters that hold more than one entity.
type Merges struct {
	Clusters  uint64 `json:"clusters"`
	Addresses uint64 `json:"addresses"`
}

// Result is everything a table says about one clustering.
type Result struct {
	Addresses uint64 `json:"addresses"`
	Clusters  uint64 `json:"clusters"`
	Entities  uint64 `json:"entities"`
	Pairs
	CoSpending  Recall `json:"co_spending"`
	FalseMerges Merges `json:"false_merges"`
	Collapsed   Merges `json:"collapsed"`
}

// Recall is recall restricted to the entities that could be clustered at
// all (see the package doc). Precision has no restricted form: predicted
// pairs belong to clusters, not entities.
type Recall struct {
	Entities      uint64  `json:"entities"`
	TruePositives uint64  `json:"true_positive_pairs"`
	TruePairs     uint64  `json:"true_pairs"`
	Recall        float64 `json:"recall"`
}

// Result computes the scores; coSpending reports whether an entity could be
// clustered by its own co-spends (nil: every entity could).
func (t *Table) Result(coSpending func(entity uint32) bool) Result {
	if coSpending == nil {
		coSpending = func(uint32) bool { return true }
	}
	r := Result{Clusters: uint64(len(t.clusters)), Entities: uint64(len(t.entities))}
	var tp, tpCo, truthCo, pred, truth uint64
	for _, n := range t.clusters {
		pred += pairs(n)
		r.Addresses += uint64(n)
	}
	for e, n := range t.entities {
		truth += pairs(n)
		if coSpending(e) {
			truthCo += pairs(n)
			r.CoSpending.Entities++
		}
	}
	// Per cluster: how many entities, and how many with CollapseMin or more.
	type mix struct{ entities, big uint32 }
	mixes := map[uint32]mix{}
	for k, n := range t.cells {
		c, e := uint32(k>>32), uint32(k)
		tp += pairs(n)
		if coSpending(e) {
			tpCo += pairs(n)
		}
		m := mixes[c]
		m.entities++
		if n >= CollapseMin {
			m.big++
		}
		mixes[c] = m
	}
	for c, m := range mixes {
		if m.entities > 1 {
			r.FalseMerges.Clusters++
			r.FalseMerges.Addresses += uint64(t.clusters[c])
		}
		if m.big > 1 {
			r.Collapsed.Clusters++
			r.Collapsed.Addresses += uint64(t.clusters[c])
		}
	}
	r.Pairs = newPairs(tp, pred, truth)
	r.CoSpending.TruePositives, r.CoSpending.TruePairs = tpCo, truthCo
	r.CoSpending.Recall = ratio(tpCo, truthCo)
	return r
}

// RecallBy returns recall for each group of entities (such as their kind);
// group returns "" for entities to leave out.
func (t *Table) RecallBy(group func(entity uint32) string) map[string]Recall {
	out := map[string]Recall{}
	for e, n := range t.entities {
		if g := group(e); g != "" {
			r := out[g]
			r.Entities++
			r.TruePairs += pairs(n)
			out[g] = r
		}
	}
	for k, n := range t.cells {
		if g := group(uint32(k)); g != "" {
			r := out[g]
			r.TruePositives += pairs(n)
			out[g] = r
		}
	}
	for g, r := range out {
		r.Recall = ratio(r.TruePositives, r.TruePairs)
		out[g] = r
	}
	return out
}
