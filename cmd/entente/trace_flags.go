package main

import (
	"context"
	"flag"
	"fmt"
	"maps"

	"github.com/entente/entente/internal/chainindex"
	"github.com/entente/entente/internal/trace"
)

// traceFlags are the flags 'chain trace' and 'chain exposure' share: the
// taint policy, the limits of the walk and where it stops.
type traceFlags struct {
	policy     *string
	depth      *int
	minValue   *int64
	fanout     *int
	maxNodes   *int
	labelsPath *string
	stopAt     *string
}

func addTraceFlags(fs *flag.FlagSet) *traceFlags {
	return &traceFlags{
		policy:     fs.String("policy", "fifo", "taint policy: fifo, lifo, haircut or poison"),
		depth:      fs.Int("depth", 10, "most transactions followed from the start, 1 to 1000"),
		minValue:   fs.Int64("min-value", 1, "smallest tainted value followed, in satoshis"),
		fanout:     fs.Int("fanout", 100, "most outputs followed per transaction, the most tainted first"),
		maxNodes:   fs.Int("max-nodes", 100_000, "most transactions visited"),
		labelsPath: fs.String("labels", "", "CSV file of address,entity,category lines: attributed addresses to stop at (optional)"),
		stopAt:     fs.String("stop-at", defaultStopCategories, "categories of the node's address tags ('chain tag') where a trace stops; empty for none"),
	}
}

// options checks the flags and returns the trace options they give,
// without labels and with the default direction.
func (f *traceFlags) options(cmd string) (trace.Options, error) {
	opts := trace.Options{MaxDepth: *f.depth, MinValue: *f.minValue, MaxFanout: *f.fanout, MaxNodes: *f.maxNodes}
	var err error
	if opts.Policy, err = trace.ParsePolicy(*f.policy); err != nil {
		return opts, usagef("%s: --policy: %v", cmd, err)
	}
	if *f.depth < 1 || *f.fanout < 1 || *f.maxNodes < 1 || *f.minValue < 1 {
		return opts, usagef("%s: --depth, --fanout, --max-nodes and --min-value must be at least 1", cmd)
	}
	return opts, nil
}

// labels returns where a walk on ix stops: the node's tags in the
// --stop-at categories and the --labels file, each extended to the
// labelled addresses' clusters; nil when there are none.
func (f *traceFlags) labels(ctx context.Context, e *env, cmd string, ix *chainindex.Index, data string) (trace.Labeler, error) {
	l := trace.Labels{}
	var err error
	if *f.stopAt != "" {
		if l, err = tagLabels(ctx, e, cmd, ix, data, *f.stopAt); err != nil {
			return nil, err
		}
	}
	if *f.labelsPath != "" {
		fl, err := readLabels(ix, *f.labelsPath)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", cmd, err)
		}
		maps.Copy(l, fl)
	}
	if len(l) == 0 {
		return nil, nil
	}
	cl, err := trace.ClusterLabels(ix, l)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", cmd, err)
	}
	return cl, nil
}
