package score

import "testing"

// assign builds a table from (cluster, entity, count) triples.
type assign struct{ cluster, entity, n uint32 }

func TestTableResult(t *testing.T) {
	frac := func(a, b float64) float64 { return a / b }
	tests := []struct {
		name       string
		cells      []assign
		coSpending map[uint32]bool // nil: every entity
		want       Result
	}{
		{
			// A: a1 a2 a3 | a4 with b1 | B: b2 | C: c1.
			name:       "mixed",
			cells:      []assign{{1, 1, 3}, {2, 1, 1}, {2, 2, 1}, {3, 2, 1}, {4, 3, 1}},
			coSpending: map[uint32]bool{1: true},
			want: Result{
				Addresses: 7, Clusters: 4, Entities: 3,
				Pairs: Pairs{TruePositives: 3, PredictedPairs: 4, TruePairs: 7,
					Precision: frac(3, 4), Recall: frac(3, 7), F1: 2 * frac(3, 4) * frac(3, 7) / (frac(3, 4) + frac(3, 7))},
				CoSpending:  Recall{Entities: 1, TruePositives: 3, TruePairs: 6, Recall: frac(1, 2)},
				FalseMerges: Merges{Clusters: 1, Addresses: 2},
			},
		},
		{
			name:  "all singletons",
			cells: []assign{{1, 1, 1}, {2, 1, 1}, {3, 1, 1}, {4, 2, 1}, {5, 2, 1}},
			want: Result{
				Addresses: 5, Clusters: 5, Entities: 2,
				Pairs:      Pairs{TruePositives: 0, PredictedPairs: 0, TruePairs: 4, Precision: 1, Recall: 0, F1: 0},
				CoSpending: Recall{Entities: 2, TruePairs: 4},
			},
		},
		{
			name:  "one cluster for all",
			cells: []assign{{9, 1, 4}, {9, 2, 2}, {9, 3, 1}},
			want: Result{
				Addresses: 7, Clusters: 1, Entities: 3,
				Pairs:       Pairs{TruePositives: 7, PredictedPairs: 21, TruePairs: 7, Precision: frac(1, 3), Recall: 1, F1: frac(1, 2)},
				CoSpending:  Recall{Entities: 3, TruePositives: 7, TruePairs: 7, Recall: 1},
				FalseMerges: Merges{Clusters: 1, Addresses: 7},
			},
		},
		{
			// Two services of 100 addresses fused, and a third cluster where
			// one side has only 99: a false merge, not a collapse.
			name:  "collapse",
			cells: []assign{{1, 1, 100}, {1, 2, 100}, {2, 3, 100}, {2, 4, 99}, {3, 5, 2}},
			want: Result{
				Addresses: 401, Clusters: 3, Entities: 5,
				Pairs: Pairs{TruePositives: 3*4950 + 4851 + 1, PredictedPairs: 19900 + 19701 + 1, TruePairs: 3*4950 + 4851 + 1,
					Precision: frac(3*4950+4851+1, 19900+19701+1), Recall: 1,
					F1: 2 * frac(3*4950+4851+1, 19900+19701+1) / (frac(3*4950+4851+1, 19900+19701+1) + 1)},
				CoSpending:  Recall{Entities: 5, TruePositives: 3*4950 + 4851 + 1, TruePairs: 3*4950 + 4851 + 1, Recall: 1},
				FalseMerges: Merges{Clusters: 2, Addresses: 399},
				Collapsed:   Merges{Clusters: 1, Addresses: 200},
			},
		},
		{
			name: "empty",
			want: Result{Pairs: Pairs{Precision: 1, Recall: 1, F1: 1}, CoSpending: Recall{Recall: 1}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tab := NewTable()
			for _, c := range tt.cells {
				for range c.n {
					tab.Add(c.cluster, c.entity)
				}
			}
			var co func(uint32) bool
			if tt.coSpending != nil {
				co = func(e uint32) bool { return tt.coSpending[e] }
			}
			if got := tab.Result(co); got != tt.want {
				t.Errorf("got  %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

// TestPairsLarge checks that pair counts of a million-address entity do not
// overflow.
func TestPairsLarge(t *testing.T) {
	tab := NewTable()
	for range 2_000_000 {
		tab.Add(1, 1)
	}
	r := tab.Result(nil)
	if want := uint64(2_000_000) * 1_999_999 / 2; r.TruePositives != want || r.Precision != 1 || r.Recall != 1 {
		t.Fatalf("got %+v, want %d true positives at precision and recall 1", r.Pairs, want)
	}
}

func TestForest(t *testing.T) {
	var f forest
	for range 6 {
		f.add()
	}
	f.union(0, 1)
	f.union(2, 1)
	f.union(4, 5)
	f.union(5, 4)
	if got, want := f.pairs(), uint64(3+1); got != want {
		t.Fatalf("pairs %d, want %d", got, want)
	}
}

func TestRecallBy(t *testing.T) {
	tab := NewTable()
	for _, c := range []assign{{1, 1, 3}, {2, 1, 1}, {2, 2, 1}, {3, 2, 1}, {4, 3, 2}, {5, 4, 1}} {
		for range c.n {
			tab.Add(c.cluster, c.entity)
		}
	}
	kind := map[uint32]string{1: "exchange", 2: "individual", 3: "individual"}
	got := tab.RecallBy(func(e uint32) string { return kind[e] })
	want := map[string]Recall{
		"exchange":   {Entities: 1, TruePositives: 3, TruePairs: 6, Recall: 0.5},
		"individual": {Entities: 2, TruePositives: 1, TruePairs: 2, Recall: 0.5},
	}
	if len(got) != len(want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	for k, w := range want {
		if got[k] != w {
			t.Errorf("%s: got %+v, want %+v", k, got[k], w)
		}
	}
}
