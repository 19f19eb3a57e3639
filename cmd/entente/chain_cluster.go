package main

import (
	"context"
	"flag"
	"fmt"

	"github.com/entente/entente/internal/attrib"
	"github.com/entente/entente/internal/cluster"
)

func chainClusterFlags(fs *flag.FlagSet) func(context.Context, *env, []string) error {
	data, netName := chainFlags(fs)
	asJSON := fs.Bool("json", false, "print JSON")
	limit := fs.Int("limit", 1000, "most members to list")
	clusterLimit := fs.Int("cluster-limit", cluster.DefaultLimit, "with --change: refuse a merge of two clusters both above this many addresses (negative: none)")
	sweepMin := fs.Int("sweep-min", cluster.DefaultSweepMin, sweepMinUsage)
	change := fs.String("change", "", "change heuristics on top of multi-input clustering, comma-separated: "+
		cluster.HeuristicNames()+". Off by default. Computes the clusters in memory for this query "+
		"(a pass over the whole chain: about 4 seconds and 16 MB per million transactions, 8 bytes an address); "+
		"the index is not changed")
	return func(ctx context.Context, e *env, args []string) error {
		if err := exactArgs("chain cluster", args, "ADDR"); err != nil {
			return err
		}
		if *limit < 0 || *limit > 1_000_000 {
			return usagef("chain cluster: --limit %d not in [0, 1000000]", *limit)
		}
		if err := checkSweepMin("chain cluster", *sweepMin); err != nil {
			return err
		}
		h, err := cluster.ParseHeuristics(*change)
		if err != nil {
			return usagef("chain cluster: --change: %v", err)
		}
		ix, err := openChainIndex(ctx, "chain cluster", *data, *netName, true, nil)
		if err != nil {
			return err
		}
		defer ix.Close()
		id, err := ix.LookupAddress(args[0])
		if err != nil {
			return fmt.Errorf("chain cluster: %w", err)
		}
		var root, size uint32
		var ids []uint32
		var refused, sweeps, collectors uint64
		var inCluster func(a string) (bool, error)
		if h == 0 {
			if root, size, err = ix.ClusterOf(id); err != nil {
				return fmt.Errorf("chain cluster: %w", err)
			}
			if ids, err = ix.ClusterMembers(root, *limit); err != nil {
				return fmt.Errorf("chain cluster: %w", err)
			}
			inCluster = inIndexCluster(ix, root)
		} else {
			ov := &cluster.Overlay{Heuristics: h, Limit: *clusterLimit, SweepMin: *sweepMin}
			if err := ix.ChangeClusters(ctx, ov); err != nil {
				return fmt.Errorf("chain cluster: change heuristics %s: %w", h, err)
			}
			root = ov.Root(id)
			size, refused = ov.Size(root), ov.Refused
			sweeps, collectors = ov.Sweeps, ov.Collectors
			ids = ov.Members(root, *limit)
			inCluster = func(a string) (bool, error) {
				m, err := ix.LookupAddress(a)
				return err == nil && ov.Holds(root, m), nil
			}
		}
		members := make([]string, 0, len(ids))
		for _, m := range ids {
			s, err := ix.AddressString(m)
			if err != nil {
				return fmt.Errorf("chain cluster: %w", err)
			}
			members = append(members, s)
		}
		tf, err := openTags(ctx, e, "chain cluster", *data, true)
		if err != nil {
			return err
		}
		defer tf.Close()
		tags, err := attrib.ClusterTags(tf, members, uint32(len(members)) == size, inCluster)
		if err != nil {
			return fmt.Errorf("chain cluster: %w", err)
		}
		groups := attrib.Summarize(tags)
		if *asJSON {
			return writeJSON(e.stdout, struct {
				Address    string         `json:"address"`
				Change     string         `json:"change"`
				Cluster    uint32         `json:"cluster"`
				Size       uint32         `json:"size"`
				Tags       []attrib.Group `json:"tags"`
				Members    []string       `json:"members"`
				Truncated  bool           `json:"truncated"`
				Refused    uint64         `json:"refused_change_merges"`
				Sweeps     uint64         `json:"sweeps,omitempty"`
				Collectors uint64         `json:"collectors,omitempty"`
			}{args[0], h.String(), root, size, groups, members, uint32(len(members)) < size, refused, sweeps, collectors})
		}
		fmt.Fprintf(e.stdout, "cluster %d: %d addresses", root, size)
		if h != 0 {
			fmt.Fprintf(e.stdout, " (multi-input and change heuristics %s; the guard refused %d merges", h, refused)
			if h&cluster.BySweep != 0 {
				fmt.Fprintf(e.stdout, "; %d sweeps merged into %d collectors", sweeps, collectors)
			}
			fmt.Fprint(e.stdout, ")")
		}
		fmt.Fprintln(e.stdout)
		for _, g := range groups {
			fmt.Fprintf(e.stdout, "  tags: %s", g.Category)
			if g.Actor != "" {
				fmt.Fprintf(e.stdout, " actor %q", g.Actor)
			}
			fmt.Fprintf(e.stdout, ": %d tags on %d addresses, confidence up to %d\n", g.Tags, g.Addresses, g.MaxConfidence)
		}
		for _, m := range members {
			fmt.Fprintln(e.stdout, m)
		}
		if uint32(len(members)) < size {
			fmt.Fprintf(e.stdout, "... and %d more\n", size-uint32(len(members)))
		}
		return nil
	}
}

// sweepMinUsage documents --sweep-min, shared by chain cluster and sim
// score.
var sweepMinUsage = fmt.Sprintf("with the sweep heuristic: the sweeps from distinct clusters, with one wallet fingerprint, "+
	"an address must have received before sweeps into it merge (1 to %d)", cluster.MaxSweepMin)

func checkSweepMin(cmd string, k int) error {
	if k < 1 || k > cluster.MaxSweepMin {
		return usagef("%s: --sweep-min %d not in [1, %d]", cmd, k, cluster.MaxSweepMin)
	}
	return nil
}
