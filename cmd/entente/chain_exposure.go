package main

import (
	"cmp"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"slices"

	"github.com/entente/entente/internal/chainindex"
	"github.com/entente/entente/internal/trace"
)

// maxExposureMembers bounds --max-members: a cluster larger than this is
// an exchange or a service, whose exposure is asked address by address.
const maxExposureMembers = 100_000

// exposureReport is 'chain exposure --json': the exposure (forward and
// backward sides, satoshis by category) and what it was computed from.
type exposureReport struct {
	Address string `json:"address"`
	// Cluster is the address's cluster when its members were the starts.
	Cluster *exposureCluster `json:"cluster,omitempty"`
	Policy  string           `json:"policy"`
	Starts  int              `json:"starts"` // outputs traced
	trace.Exposure
}

type exposureCluster struct {
	ID   uint32 `json:"id"`
	Size uint32 `json:"size"`
}

func chainExposureFlags(fs *flag.FlagSet) func(context.Context, *env, []string) error {
	data, netName := chainFlags(fs)
	cluster := fs.Bool("cluster", false, "the exposure of the address's whole multi-input cluster: every member's outputs are starts")
	maxMembers := fs.Int("max-members", 1000, "with --cluster, the largest cluster accepted, 1 to 100000")
	tf := addTraceFlags(fs)
	asJSON := fs.Bool("json", false, "print JSON")
	return func(ctx context.Context, e *env, args []string) error {
		const cmd = "chain exposure"
		if err := exactArgs(cmd, args, "ADDR"); err != nil {
			return err
		}
		opts, err := tf.options(cmd)
		if err != nil {
			return err
		}
		if *maxMembers < 1 || *maxMembers > maxExposureMembers {
			return usagef("%s: --max-members %d not in [1, %d]", cmd, *maxMembers, maxExposureMembers)
		}
		ix, err := openChainIndex(ctx, cmd, *data, *netName, true, nil)
		if err != nil {
			return err
		}
		defer ix.Close()
		if opts.Labels, err = tf.labels(ctx, e, cmd, ix, *data); err != nil {
			return err
		}
		rep := exposureReport{Address: args[0], Policy: opts.Policy.String()}
		var starts []trace.Start
		if *cluster {
			var c exposureCluster
			starts, c, err = clusterStarts(ix, args[0], *maxMembers)
			rep.Cluster = &c
		} else {
			starts, err = addressStarts(ix, args[0])
		}
		if err != nil {
			return fmt.Errorf("%s: %w", cmd, err)
		}
		rep.Starts = len(starts)
		rep.Exposure, err = trace.ExposureOf(ctx, ix, starts, opts)
		if errors.Is(err, trace.ErrBadOptions) {
			return usagef("%s: %v", cmd, err)
		}
		if err != nil {
			return fmt.Errorf("%s: %w", cmd, err)
		}
		if *asJSON {
			return writeJSON(e.stdout, rep)
		}
		printExposure(e.stdout, rep)
		return nil
	}
}

// addressStarts returns every output addr received.
func addressStarts(ix *chainindex.Index, addr string) ([]trace.Start, error) {
	starts, err := ix.TraceStarts(trace.Spec{Kind: trace.SpecAddress, Address: addr}, maxTraceStarts)
	if err != nil && !errors.Is(err, chainindex.ErrNotFound) && !errors.Is(err, chainindex.ErrCorrupt) {
		return nil, fmt.Errorf("address %s received more than %d outputs, too many to trace at once", addr, maxTraceStarts)
	}
	return starts, err
}

// clusterStarts returns every output the members of addr's cluster
// received, refusing a cluster of more than maxMembers addresses or more
// than maxTraceStarts outputs.
func clusterStarts(ix *chainindex.Index, addr string, maxMembers int) ([]trace.Start, exposureCluster, error) {
	starts, root, size, err := ix.ClusterStarts(addr, maxMembers, maxTraceStarts)
	c := exposureCluster{ID: root, Size: size}
	var tm *chainindex.TooManyError
	switch {
	case errors.As(err, &tm) && tm.MembersOverMax:
		return nil, c, fmt.Errorf("the cluster of %s has %d addresses, more than --max-members %d: raise it (up to %d) or drop --cluster",
			addr, size, maxMembers, maxExposureMembers)
	case errors.As(err, &tm):
		return nil, c, fmt.Errorf("the cluster of %s (%d addresses) received more than %d outputs, too many to trace at once",
			addr, size, maxTraceStarts)
	}
	return starts, c, err
}

func printExposure(w io.Writer, r exposureReport) {
	what := r.Address
	if r.Cluster != nil {
		what = fmt.Sprintf("cluster %d of %s (%d addresses)", r.Cluster.ID, r.Address, r.Cluster.Size)
	}
	fmt.Fprintf(w, "%s: exposure by %s of %d outputs, %s\n", what, r.Policy, r.Starts, satBTC(r.Forward.Total))
	printExposureSide(w, "forward (where the money went)", r.Forward)
	printExposureSide(w, "backward (where it came from)", r.Backward)
}

func printExposureSide(w io.Writer, name string, s trace.ExposureSide) {
	// Own is attributed but not exposure: the address's own entity.
	fmt.Fprintf(w, "%s: attributed %s, own %d sat, unspent %d sat, stopped at limits %d sat",
		name, satBTC(s.Attributed), s.Own, s.Unspent, s.Stopped)
	if s.Truncated {
		fmt.Fprint(w, " (node limit reached)")
	}
	fmt.Fprintln(w)
	for _, c := range exposureCategories(s) {
		d, i := s.Direct[c], s.Indirect[c]
		fmt.Fprintf(w, "  %s: %s, direct %s, indirect %s\n", c, satBTC(d+i), satBTC(d), satBTC(i))
	}
}

// exposureCategories lists a side's categories, the largest exposure first.
func exposureCategories(s trace.ExposureSide) []string {
	var cats []string
	for c := range s.Direct {
		cats = append(cats, c)
	}
	for c := range s.Indirect {
		if _, ok := s.Direct[c]; !ok {
			cats = append(cats, c)
		}
	}
	total := func(c string) int64 { return s.Direct[c] + s.Indirect[c] }
	slices.SortFunc(cats, func(a, b string) int { return cmp.Or(cmp.Compare(total(b), total(a)), cmp.Compare(a, b)) })
	return cats
}

// satBTC formats satoshis as "N sat (B BTC)", BTC to the satoshi.
func satBTC(sat int64) string {
	sign := ""
	if sat < 0 { // not from a trace; formatted all the same
		sign, sat = "-", -sat
	}
	return fmt.Sprintf("%s%d sat (%s%d.%08d BTC)", sign, sat, sign, sat/100_000_000, sat%100_000_000)
}
