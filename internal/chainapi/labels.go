package chainapi

import (
	"slices"
	"strings"

	"github.com/entente/entente/internal/attrib"
	"github.com/entente/entente/internal/attrib/tagfile"
	"github.com/entente/entente/internal/chainindex"
	"github.com/entente/entente/internal/chainlabels"
	"github.com/entente/entente/internal/trace"
)

// maxLabelSets bounds the stop-label sets kept, one per set of categories
// asked for.
const maxLabelSets = 4

// labelSet is the stop labels of one set of categories on one state of
// the index and tags, kept between requests: resolving the tags
// (chainlabels, which keeps its resolution on disk across the index's
// commits) and labelling the clusters cost seconds on a large index, a
// trace milliseconds.
type labelSet struct {
	want   string // categories, sorted and joined
	ix     *chainindex.Index
	labels trace.Labeler // tagged addresses and their clusters' roots
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
	names := make([]string, 0, len(want))
	for cat := range want {
		names = append(names, string(cat))
	}
	slices.Sort(names)
	key := strings.Join(names, ",")
	for _, s := range c.sets {
		if s.want == key && s.ix == ix {
			return s.labels, nil
		}
	}
	tags := func() (*tagfile.File, func(), error) { return tf, func() {}, nil }
	warn := func(err error) { h.cfg.Logger.Warn("chainapi: kept tag resolution", "err", err) }
	l, err := chainlabels.Resolve(ix, h.chainDir(), h.tagPath(), want, tags, warn)
	if err != nil {
		return nil, err
	}
	s := &labelSet{want: key, ix: ix}
	if len(l) > 0 {
		cl, err := trace.ClusterLabels(ix, l)
		if err != nil {
			return nil, err
		}
		s.labels = cl
	}
	c.sets = slices.DeleteFunc(c.sets, func(x *labelSet) bool { return x.want == key })
	if len(c.sets) == maxLabelSets {
		c.sets = c.sets[1:]
	}
	c.sets = append(c.sets, s)
	return s.labels, nil
}
