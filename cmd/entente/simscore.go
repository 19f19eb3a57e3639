package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"text/tabwriter"

	"github.com/entente/entente/internal/sim/score"
)

func simScoreFlags(fs *flag.FlagSet) func(context.Context, *env, []string) error {
	data, netName := chainFlags(fs)
	truth := fs.String("truth", "", "directory 'sim generate --out' wrote, holding truth/ (required)")
	asJSON := fs.Bool("json", false, "print JSON")
	depth := fs.Int("trace-depth", score.DefaultTraceDepth, "transactions each ransom trace follows (1 to 1000)")
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
		ix, err := openChainIndex(ctx, "sim score", *data, *netName, true, nil)
		if err != nil {
			return err
		}
		defer ix.Close()
		rep, err := score.Score(ctx, score.Config{
			Truth: *truth, Index: ix, Now: e.now, TraceDepth: *depth,
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
		fmt.Fprintln(tw, "heuristics\tcoinjoins\tprecision\trecall\tF1\tco-spend recall\treachable recall\tclusters\tfalse merges (addrs)\tcollapsed\trefused merges\t")
		for _, r := range rep.Clustering {
			fmt.Fprintf(tw, "%s\t%s\t%.4f\t%.4f\t%.4f\t%.4f\t%.4f\t%d\t%d (%d)\t%d\t%d\t\n",
				r.Heuristics, r.CoinJoins, r.Precision, r.Recall, r.F1, r.CoSpending.Recall, r.Reachable.Recall,
				r.Clusters, r.FalseMerges.Clusters, r.FalseMerges.Addresses, r.Collapsed.Clusters, r.RefusedMerges)
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
