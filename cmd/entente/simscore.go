package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/entente/entente/internal/cluster"
	"github.com/entente/entente/internal/sim/score"
)

// parseChangeSets parses sim score's --change: "standard", "none", or
// heuristic sets separated by ';'.
func parseChangeSets(s string) ([]cluster.Heuristics, error) {
	switch strings.TrimSpace(s) {
	case "standard":
		return nil, nil
	case "none", "":
		return []cluster.Heuristics{}, nil
	}
	parts := strings.Split(s, ";")
	if len(parts) > 64 {
		return nil, fmt.Errorf("%d sets, at most 64", len(parts))
	}
	sets := make([]cluster.Heuristics, 0, len(parts))
	for _, p := range parts {
		h, err := cluster.ParseHeuristics(p)
		if err != nil {
			return nil, err
		}
		if h == 0 {
			return nil, fmt.Errorf("empty set in %q", s)
		}
		sets = append(sets, h)
	}
	return sets, nil
}

func simScoreFlags(fs *flag.FlagSet) func(context.Context, *env, []string) error {
	data, netName := chainFlags(fs)
	truth := fs.String("truth", "", "directory 'sim generate --out' wrote, holding truth/ (required)")
	asJSON := fs.Bool("json", false, "print JSON")
	depth := fs.Int("trace-depth", score.DefaultTraceDepth, "transactions each ransom trace follows (1 to 1000)")
	tracing := fs.Bool("tracing", true, "score ransom tracing too (minutes on a million transactions)")
	change := fs.String("change", "standard", "change heuristic sets to score on top of multi-input, a row each: "+
		"'standard' (each heuristic alone, then all, consensus, careful and broad, then sweep alone and with careful and broad), 'none', or sets separated by ';' such as "+
		"'fresh;type,fresh,vote'. Names: "+cluster.HeuristicNames()+". Each row is a pass over the chain "+
		"holding 8 bytes an address in memory, a few seconds per million transactions")
	limit := fs.Int("cluster-limit", cluster.DefaultLimit, "the change rows' guard: refuse a merge of two clusters both above this many addresses (negative: none)")
	sweepMin := fs.Int("sweep-min", cluster.DefaultSweepMin, sweepMinUsage)
	return func(ctx context.Context, e *env, args []string) error {
		if err := exactArgs("sim score", args); err != nil {
			return err
		}
		if *truth == "" {
			return usagef("sim score: --truth is required")
		}
		if *depth < 1 || *depth > 1000 {
			return usagef("sim score: --trace-depth %d not in [1, 1000]", *depth)
		}
		if err := checkSweepMin("sim score", *sweepMin); err != nil {
			return err
		}
		sets, err := parseChangeSets(*change)
		if err != nil {
			return usagef("sim score: --change: %v", err)
		}
		ix, err := openChainIndex(ctx, "sim score", *data, *netName, true, nil)
		if err != nil {
			return err
		}
		defer ix.Close()
		rep, err := score.Score(ctx, score.Config{
			Truth: *truth, Index: ix, Now: e.now, TraceDepth: *depth,
			Change: sets, ClusterLimit: *limit, SweepMin: *sweepMin, NoTracing: !*tracing,
			Logger: slog.New(slog.NewTextHandler(e.stderr, nil)),
		})
		if err != nil {
			return fmt.Errorf("sim score: %w", err)
		}
		if *asJSON {
			return writeJSON(e.stdout, rep)
		}
		fmt.Fprintf(e.stdout, "%d of %d truth addresses indexed; %d CoinJoins in the truth, %d skipped by the engine\n\n",
			rep.IndexedAddresses, rep.TruthAddresses, rep.TruthCoinJoins, rep.CoinJoinsSkipped)
		tw := tabwriter.NewWriter(e.stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
		fmt.Fprintln(tw, "heuristics\tcoinjoins\tprecision\trecall\tF1\tco-spend recall\treachable recall\tclusters\tfalse merges (addrs)\tcollapsed\trefused merges\tchange outputs\tsweeps (collectors)\tseconds\t")
		for _, r := range rep.Clustering {
			fmt.Fprintf(tw, "%s\t%s\t%.4f\t%.4f\t%.4f\t%.4f\t%.4f\t%d\t%d (%d)\t%d\t%d\t%d\t%d (%d)\t%.1f\t\n",
				r.Heuristics, r.CoinJoins, r.Precision, r.Recall, r.F1, r.CoSpending.Recall, r.Reachable.Recall,
				r.Clusters, r.FalseMerges.Clusters, r.FalseMerges.Addresses, r.Collapsed.Clusters, r.RefusedMerges,
				r.ChangeOutputs, r.Sweeps, r.Collectors, r.Seconds)
		}
		if err := tw.Flush(); err != nil {
			return err
		}
		for _, r := range rep.Clustering {
			fmt.Fprintf(e.stdout, "\n%s recall by entity kind:\n", r.Heuristics)
			tw = tabwriter.NewWriter(e.stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
			fmt.Fprintln(tw, "kind\tentities\ttrue pairs\tfound\trecall\t")
			for _, k := range slices.Sorted(maps.Keys(r.ByKind)) {
				v := r.ByKind[k]
				fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%.4f\t\n", k, v.Entities, v.TruePairs, v.TruePositives, v.Recall)
			}
			if err := tw.Flush(); err != nil {
				return err
			}
		}
		return printTracing(e, rep.Tracing)
	}
}

// printTracing writes the tracing rows: shares of ransom value in
// percent, totals then the per-incident distribution.
func printTracing(e *env, rows []score.TraceRow) error {
	if len(rows) == 0 {
		return nil
	}
	r0 := rows[0]
	fmt.Fprintf(e.stdout, "\ntracing %d ransom payments of %d incidents (%d sat) forward to depth %d, exchanges labelled:\n",
		r0.Payments, r0.Incidents, r0.Value, r0.Depth)
	tw := tabwriter.NewWriter(e.stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "policy\tright %\twrong %\tunattributed %\tincident right min %\tmedian %\tincident wrong median %\tmax %\ttruncated\t")
	pc := func(x float64) string { return fmt.Sprintf("%.1f", 100*x) }
	for _, r := range rows {
		d := r.PerIncident
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%d\t\n", r.Policy, pc(r.RightShare), pc(r.WrongShare), pc(r.UnattributedShare),
			pc(d.RightMin), pc(d.RightMedian), pc(d.WrongMedian), pc(d.WrongMax), r.Truncated)
	}
	return tw.Flush()
}
