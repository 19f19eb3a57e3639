package chainapi

import (
	"context"
	"net/http"
	"strconv"

	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/entente/entente/internal/attrib"
	"github.com/entente/entente/internal/attrib/tagfile"
	"github.com/entente/entente/internal/chainindex"
	"github.com/entente/entente/internal/cluster"
)

// maxOverlays bounds the change-clustering overlays kept, each 8 bytes an
// address and more with sweep: an analyst team uses a few heuristic sets.
const maxOverlays = 4

type overlayKey struct {
	h        cluster.Heuristics
	limit    int
	sweepMin int
}

// overlayEntry is an overlay and the block it was brought up to, to tell
// growth (update it) from a reorganisation (build it again).
type overlayEntry struct {
	ov      *cluster.Overlay
	blocks  uint32
	tipHash chainhash.Hash
	used    uint64
}

// overlays caches overlays by heuristic set; guarded by Handler.mu.
type overlays struct {
	m    map[overlayKey]*overlayEntry
	tick uint64
}

// get returns the overlay for k, brought up to ix's tip: incrementally
// when the index only grew since, from scratch after a reorganisation.
func (c *overlays) get(ctx context.Context, ix *chainindex.Index, k overlayKey) (*cluster.Overlay, error) {
	if c.m == nil {
		c.m = map[overlayKey]*overlayEntry{}
	}
	c.tick++
	tip, blocks := ix.Tip()
	e := c.m[k]
	if e != nil && (blocks < e.blocks || e.blocks > 0 && ix.BlockHash(e.blocks-1) != e.tipHash) {
		e = nil // the chain was reorganised under it
	}
	if e == nil {
		if len(c.m) >= maxOverlays {
			var oldest overlayKey
			first := true
			for key, v := range c.m {
				if first || v.used < c.m[oldest].used {
					oldest, first = key, false
				}
			}
			delete(c.m, oldest)
		}
		e = &overlayEntry{ov: &cluster.Overlay{Heuristics: k.h, Limit: k.limit, SweepMin: k.sweepMin}}
		c.m[k] = e
	}
	if err := ix.ChangeClusters(ctx, e.ov); err != nil {
		delete(c.m, k)
		return nil, err
	}
	e.blocks, e.tipHash, e.used = blocks, tip, c.tick
	return e.ov, nil
}

// changeParams reads the cluster endpoint's change parameters; zero
// heuristics when change is absent.
func changeParams(r *http.Request) (overlayKey, error) {
	q := r.URL.Query()
	var k overlayKey
	if s := q.Get("change"); s != "" {
		h, err := cluster.ParseHeuristics(s)
		if err != nil {
			return k, badRequest("change: %v", err)
		}
		k.h = h
	}
	limit, err := intParam(r, "cluster_limit", cluster.DefaultLimit, -1, 1<<31-1)
	if err != nil {
		return k, err
	}
	sweep, err := intParam(r, "sweep_min", cluster.DefaultSweepMin, 1, cluster.MaxSweepMin)
	if err != nil {
		return k, err
	}
	k.limit, k.sweepMin = int(limit), int(sweep)
	if k.h&cluster.BySweep == 0 {
		k.sweepMin = 0 // one overlay for every sweep_min when it plays no part
	}
	return k, nil
}

// changeCluster answers the cluster endpoint under change heuristics: the
// address's cluster in the overlay, its members (up to limit) and tags.
func (h *Handler) changeCluster(w http.ResponseWriter, ctx context.Context, ix *chainindex.Index, tf *tagfile.File, addr string, id uint32, limit int, k overlayKey) error {
	ov, err := h.overlays.get(ctx, ix, k)
	if err != nil {
		return err
	}
	root := ov.Root(id)
	size := ov.Size(root)
	refused := ov.Refused
	return writeCluster(w, ix, tf, clusterAnswer{Address: addr, Heuristics: k.h.String(), Cluster: root, Size: size,
		Refused: &refused, SweepMin: sweepMinText(k)}, ov.Members(root, limit), func(a string) (bool, error) {
		m, err := ix.LookupAddress(a)
		return err == nil && ov.Holds(root, m), nil
	})
}

// clusterAnswer is the cluster endpoint's answer; the change fields only
// under change heuristics.
type clusterAnswer struct {
	Address    string         `json:"address"`
	Heuristics string         `json:"heuristics,omitempty"`
	Cluster    uint32         `json:"cluster"`
	Size       uint32         `json:"size"`
	Tags       []attrib.Group `json:"tags"`
	Members    []string       `json:"members"`
	Truncated  bool           `json:"truncated"`
	Refused    *uint64        `json:"refused_merges,omitempty"`
	SweepMin   string         `json:"sweep_min,omitempty"`
}

// writeCluster fills a's members from ids and their tags (inCluster tells
// a tagged address of the cluster from one outside it) and writes it.
func writeCluster(w http.ResponseWriter, ix *chainindex.Index, tf *tagfile.File, a clusterAnswer, ids []uint32, inCluster func(string) (bool, error)) error {
	a.Members = make([]string, 0, len(ids))
	for _, m := range ids {
		s, err := ix.AddressString(m)
		if err != nil {
			return err
		}
		a.Members = append(a.Members, s)
	}
	a.Truncated = uint32(len(a.Members)) < a.Size
	tags, err := attrib.ClusterTags(tf, a.Members, !a.Truncated, inCluster)
	if err != nil {
		return err
	}
	if a.Tags = attrib.Summarize(tags); a.Tags == nil {
		a.Tags = []attrib.Group{}
	}
	writeJSON(w, http.StatusOK, a)
	return nil
}

func sweepMinText(k overlayKey) string {
	if k.h&cluster.BySweep == 0 {
		return ""
	}
	return strconv.Itoa(k.sweepMin)
}
