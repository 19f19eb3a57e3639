package attrib

import (
	"cmp"
	"slices"
)

// Group counts the tags of one category and actor among many addresses,
// such as a cluster's members.
type Group struct {
	Category      Category `json:"category"`
	Actor         string   `json:"actor,omitempty"`
	Tags          int      `json:"tags"`
	Addresses     int      `json:"addresses"`
	MaxConfidence int      `json:"max_confidence"`
}

// Summarize groups tags by category and actor, most tagged addresses
// first, then by category and actor for a stable order.
func Summarize(tags []Tag) []Group {
	type key struct {
		c     Category
		actor string
	}
	groups := map[key]*Group{}
	seen := map[key]map[string]bool{}
	for _, t := range tags {
		k := key{t.Category, t.Actor}
		g := groups[k]
		if g == nil {
			g = &Group{Category: t.Category, Actor: t.Actor}
			groups[k], seen[k] = g, map[string]bool{}
		}
		g.Tags++
		g.MaxConfidence = max(g.MaxConfidence, t.Confidence)
		if !seen[k][t.Address] {
			seen[k][t.Address] = true
			g.Addresses++
		}
	}
	out := make([]Group, 0, len(groups))
	for _, g := range groups {
		out = append(out, *g)
	}
	slices.SortFunc(out, func(a, b Group) int {
		return cmp.Or(cmp.Compare(b.Addresses, a.Addresses), cmp.Compare(a.Category, b.Category), cmp.Compare(a.Actor, b.Actor))
	})
	return out
}
