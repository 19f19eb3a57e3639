package attrib

import (
	"cmp"
	"fmt"
	"iter"
	"strings"
)

// DefaultStopCategories are where a trace stops by default: services that
// hold customers' coins, where funds can be frozen or leave the chain's
// view, and sanctioned entities. Perpetrators' own categories (ransomware,
// scam, hack) are followed through, not stopped at.
const DefaultStopCategories = "exchange,mixer,darknet_market,gambling,service,defi,sanctioned"

// ParseCategories parses a comma-separated list of categories, as given
// to a trace's stop-at option.
func ParseCategories(list string) (map[Category]bool, error) {
	want := map[Category]bool{}
	for _, c := range strings.Split(list, ",") {
		cat, ok := ParseCategory(strings.TrimSpace(c))
		if !ok {
			return nil, fmt.Errorf("unknown category %q", c)
		}
		want[cat] = true
	}
	return want, nil
}

// Entity is who a tag attributes its address to: the actor, else the
// label, else the category.
func (t Tag) Entity() string { return cmp.Or(t.Actor, t.Label, string(t.Category)) }

// Strongest picks, for every address that lookup resolves to an id, the
// most confident of the tags in the wanted categories (the first of equal
// ones). Addresses lookup fails on are skipped: tags name addresses a
// chain may never have used.
func Strongest(tags iter.Seq[Tag], want map[Category]bool, lookup func(addr string) (uint32, error)) map[uint32]Tag {
	best := map[uint32]Tag{}
	for t := range tags {
		if !want[t.Category] {
			continue
		}
		id, err := lookup(t.Address)
		if err != nil {
			continue
		}
		if old, seen := best[id]; seen && old.Confidence >= t.Confidence {
			continue
		}
		best[id] = t
	}
	return best
}

// Tagged is a set of tags by address; tagfile.File is one.
type Tagged interface {
	Tags(addr string) []Tag
	Addresses() iter.Seq[string]
}

// ClusterTags returns the tags of a cluster's members. members is the
// whole cluster when complete; otherwise every tagged address is asked
// inCluster, which costs one index look-up per tagged address, not a scan
// of the chain.
func ClusterTags(tags Tagged, members []string, complete bool, inCluster func(addr string) (bool, error)) ([]Tag, error) {
	var out []Tag
	if complete {
		for _, m := range members {
			out = append(out, tags.Tags(m)...)
		}
		return out, nil
	}
	for a := range tags.Addresses() {
		in, err := inCluster(a)
		if err != nil {
			return nil, err
		}
		if in {
			out = append(out, tags.Tags(a)...)
		}
	}
	return out, nil
}
