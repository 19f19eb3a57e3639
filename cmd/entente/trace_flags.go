package main

import (
	"context"
	"flag"
	"fmt"
	"maps"
	"strconv"
	"strings"
	"time"

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

// demixFlags are 'chain trace”s flags for carrying a trace through
// custodial mixers (trace.Options.Demix).
type demixFlags struct {
	on      *bool
	fee     *string
	window  *time.Duration
	first   *time.Duration
	parts   *int
	singles *bool
}

func addDemixFlags(fs *flag.FlagSet) *demixFlags {
	return &demixFlags{
		on:      fs.Bool("demix", false, "carry the trace on through custodial mixers (tags of category mixer), matching each deposit with the mixer's later payouts by amount and timing when exactly one set fits; forward only"),
		fee:     fs.String("demix-fee", "0.005-0.05", "with --demix: the mixer's fee as MIN-MAX fractions of the deposit"),
		window:  fs.Duration("demix-window", 48*time.Hour, "with --demix: how long after a deposit its payouts are looked for, at most 720h"),
		first:   fs.Duration("demix-first-window", time.Hour, "with --demix: the first of the windows, doubling up to --demix-window, searched for payouts that fit; the first where any fit decides"),
		parts:   fs.Int("demix-parts", 4, "with --demix: most payouts of an even split matched, 2 to 16"),
		singles: fs.Bool("demix-singles", false, "with --demix: also match a single payout or one transaction's payouts (often fit by chance in a busy mixer)"),
	}
}

// apply sets o's de-mixing options from the flags.
func (f *demixFlags) apply(cmd string, o *trace.Options) error {
	if !*f.on {
		return nil
	}
	if o.Direction != trace.Forward {
		return usagef("%s: --demix follows deposits forward only", cmd)
	}
	lo, hi, ok := strings.Cut(*f.fee, "-")
	minFee, err1 := strconv.ParseFloat(lo, 64)
	maxFee, err2 := strconv.ParseFloat(hi, 64)
	if !ok || err1 != nil || err2 != nil || !(minFee >= 0 && minFee <= maxFee && maxFee < 1) {
		return usagef("%s: --demix-fee %q: want MIN-MAX, fractions with 0 <= MIN <= MAX < 1, e.g. 0.01-0.03", cmd, *f.fee)
	}
	if *f.window <= 0 || *f.first <= 0 || *f.parts < 2 {
		return usagef("%s: --demix-window and --demix-first-window must be positive and --demix-parts at least 2", cmd)
	}
	o.Demix = true
	o.DemixOptions = trace.DemixOptions{MinFee: minFee, MaxFee: maxFee, Window: *f.window, FirstWindow: *f.first, MaxParts: *f.parts, Singles: *f.singles}
	return nil
}
