package chainapi

import (
	"slices"
	"strings"

	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/entente/entente/internal/attrib"
	"github.com/entente/entente/internal/attrib/tagfile"
	"github.com/entente/entente/internal/chainindex"
	"github.com/entente/entente/internal/trace"
)

// maxLabelSets bounds the stop-label sets kept, one per set of categories
// asked for.
const maxLabelSets = 4

// labelSet is the stop labels of one set of categories, kept between
// requests. Resolving every tag to an address id is the slow part of a
// trace or exposure (millions of tags, a look-up each: tens of seconds at
// 100,000,000 transactions), and its result changes only with the tags and
// with addresses the index did not have. So the ids stay across the
// index's commits, the tags of addresses the index lacked are looked up
// again when it grows, and only the cluster labels, which merges change,
// are made again for each index.
type labelSet struct {
	want  string // categories, sorted and joined
	addrs uint64 // addresses in the index the ids were resolved on
	// The block the index's tip was then: ids are dense and given in
	// chain order, so they stand while the index holds it.
	height  uint32
	block   chainhash.Hash
	ids     trace.Labels
	missing []string // addresses of wanted tags the index lacked
	ix      *chainindex.Index
	labels  trace.Labeler // ids and their clusters' roots, on ix
}

// labelCache holds the label sets made from one state of the tags.
type labelCache struct {
	tags *tagfile.File
	n    int // tags in the file then
	sets []*labelSet
}

// stopLabels labels the addresses the node's tags put in the categories
// want, and their clusters; nil when none. The caller holds h.mu.
func (h *Handler) stopLabels(ix *chainindex.Index, tf *tagfile.File, want map[attrib.Category]bool) (trace.Labeler, error) {
	if len(want) == 0 {
		return nil, nil
	}
	c := &h.labels
	if c.tags != tf || c.n != tf.Len() {
		*c = labelCache{tags: tf, n: tf.Len()}
	}
	key := strings.Join(slices.Sorted(func(yield func(string) bool) {
		for cat := range want {
			if !yield(string(cat)) {
				return
			}
		}
	}), ",")
	st, err := ix.Stats()
	if err != nil {
		return nil, err
	}
	var s *labelSet
	for _, x := range c.sets {
		if x.want == key {
			s = x
		}
	}
	_, blocks := ix.Tip()
	if s != nil && s.addrs > 0 && (s.height >= blocks || ix.BlockHash(s.height) != s.block) {
		// A reorganisation undid blocks: ids past the fork may now name
		// other addresses.
		c.sets = slices.DeleteFunc(c.sets, func(x *labelSet) bool { return x == s })
		s = nil
	}
	switch {
	case s == nil:
		s = &labelSet{want: key, addrs: st.Addresses, ids: trace.Labels{}}
		if blocks > 0 {
			s.height, s.block = blocks-1, ix.BlockHash(blocks-1)
		}
		lookup := func(a string) (uint32, error) {
			id, err := ix.LookupAddress(a)
			if err != nil {
				s.missing = append(s.missing, a)
			}
			return id, err
		}
		for id, t := range attrib.Strongest(tf.All(), want, lookup) {
			s.ids[id] = trace.Label{Entity: t.Entity(), Category: string(t.Category)}
		}
		slices.Sort(s.missing)
		s.missing = slices.Compact(s.missing)
		if len(c.sets) == maxLabelSets {
			c.sets = c.sets[1:]
		}
		c.sets = append(c.sets, s)
	case st.Addresses > s.addrs:
		// New addresses: the tags of those the index lacked may name them.
		kept := s.missing[:0]
		for _, a := range s.missing {
			id, err := ix.LookupAddress(a)
			if err != nil {
				kept = append(kept, a)
				continue
			}
			for _, t := range attrib.Strongest(slices.Values(tf.Tags(a)), want, func(string) (uint32, error) { return id, nil }) {
				s.ids[id] = trace.Label{Entity: t.Entity(), Category: string(t.Category)}
			}
		}
		s.missing, s.addrs = kept, st.Addresses
		s.height, s.block = blocks-1, ix.BlockHash(blocks-1)
	}
	if s.ix != ix {
		s.ix, s.labels = ix, nil
		if len(s.ids) > 0 {
			cl, err := trace.ClusterLabels(ix, s.ids)
			if err != nil {
				s.ix = nil
				return nil, err
			}
			s.labels = cl
		}
	}
	return s.labels, nil
}
