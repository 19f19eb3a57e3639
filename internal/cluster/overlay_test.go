package cluster

import (
	"math/rand/v2"
	"slices"
	"testing"
)

// TestOverlayMembersRing: the members an overlay lists, walking its ring,
// are exactly the addresses whose root is the cluster's, after random
// merges.
func TestOverlayMembersRing(t *testing.T) {
	var o Overlay
	o.Limit = -1
	o.init()
	const n = 500
	for range n {
		o.Forest.Add()
	}
	r := rand.New(rand.NewPCG(1, 2))
	for range 300 {
		o.union(0, uint32(r.IntN(n)), uint32(r.IntN(n)))
	}
	for id := range uint32(n) {
		root := o.Root(id)
		var want []uint32
		for m := range uint32(n) {
			if o.Root(m) == root {
				want = append(want, m)
			}
		}
		if got := o.Members(root, n); !slices.Equal(got, want) {
			t.Fatalf("cluster of %d: members %v, want %v", id, got, want)
		}
		if got := o.Members(root, 2); len(got) != min(2, len(want)) {
			t.Fatalf("cluster of %d: %d members with limit 2", id, len(got))
		}
	}
}
