package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/entente/entente/internal/attrib"
	"github.com/entente/entente/internal/attrib/tagfile"
	"github.com/entente/entente/internal/chainindex"
	"github.com/entente/entente/internal/chainlabels"
	"github.com/entente/entente/internal/trace"
)

// Bounds on what a trace command reads from outside.
const (
	maxTraceStarts = 100_000  // outputs of one start address or transaction
	maxLabelBytes  = 64 << 20 // a --labels file
	maxLabelLine   = 4096
)

func chainTraceFlags(fs *flag.FlagSet) func(context.Context, *env, []string) error {
	data, netName := chainFlags(fs)
	from := fs.String("from", "", "start: an address (all it received), a txid (all its outputs) or txid:n (required)")
	dirName := fs.String("direction", "forward", "forward (where the money went) or backward (where it came from)")
	tf := addTraceFlags(fs)
	df := addDemixFlags(fs)
	asJSON := fs.Bool("json", false, "print JSON (with the graph of nodes and edges)")
	return func(ctx context.Context, e *env, args []string) error {
		if err := exactArgs("chain trace", args); err != nil {
			return err
		}
		if *from == "" {
			return usagef("chain trace: --from is required")
		}
		spec, err := trace.ParseSpec(*from)
		if err != nil {
			return usagef("chain trace: --from: %v", err)
		}
		direction, err := trace.ParseDirection(*dirName)
		if err != nil {
			return usagef("chain trace: --direction: %v", err)
		}
		opts, err := tf.options("chain trace")
		if err != nil {
			return err
		}
		opts.Direction = direction
		if err := df.apply("chain trace", &opts); err != nil {
			return err
		}
		ix, err := openChainIndex(ctx, "chain trace", *data, *netName, true, nil)
		if err != nil {
			return err
		}
		defer ix.Close()
		if opts.Labels, err = tf.labels(ctx, e, "chain trace", ix, *data); err != nil {
			return err
		}
		starts, err := ix.TraceStarts(spec, maxTraceStarts)
		if err != nil {
			return fmt.Errorf("chain trace: %w", err)
		}
		r, err := trace.Trace(ctx, ix, starts, opts)
		if errors.Is(err, trace.ErrBadOptions) {
			return usagef("chain trace: %v", err)
		}
		if err != nil {
			return fmt.Errorf("chain trace: %w", err)
		}
		if *asJSON {
			return writeJSON(e.stdout, r)
		}
		printTrace(e.stdout, *from, r)
		return nil
	}
}

func printTrace(w io.Writer, from string, r trace.Result) {
	fmt.Fprintf(w, "%s %s by %s: %d sat in %d outputs, %d transactions visited\n",
		from, r.Direction, r.Policy, r.Total, len(r.Start), r.TxsVisited)
	fmt.Fprintf(w, "attributed %d, unspent %d, stopped at limits %d", r.Attributed, r.Unspent, r.Stopped)
	if r.Demixed > 0 {
		fmt.Fprintf(w, ", carried through mixers %d", r.Demixed)
	}
	if r.Truncated {
		fmt.Fprint(w, " (node limit reached)")
	}
	fmt.Fprintln(w)
	for _, en := range r.Entities {
		fmt.Fprintf(w, "  %s (%s): %d sat in %d outputs, heights %d..%d, %d paths",
			en.Entity, en.Category, en.Value, en.Arrivals, en.FirstHeight, en.LastHeight, len(en.Paths))
		if en.Inferred > 0 {
			fmt.Fprintf(w, ", %d sat of it through a de-mixed mixer", en.Inferred)
		}
		fmt.Fprintln(w)
	}
	for _, d := range r.Demix {
		fmt.Fprintf(w, "  de-mix %s deposit %s:%d of %d sat: %s", d.Mixer, d.Deposit.TxID, d.Deposit.Vout, d.DepositValue, d.Outcome)
		switch d.Outcome {
		case trace.DemixMatched:
			fmt.Fprintf(w, " (inferred, %s) to %d payouts of %d sat, fee %.2f%%, after %s to %s, the only fit among %d payouts in %s\n",
				d.Match, len(d.Payouts), d.PaidOut, 100*d.Fee, time.Duration(d.FirstDelay)*time.Second, time.Duration(d.LastDelay)*time.Second,
				d.Candidates, time.Duration(d.Window)*time.Second)
			for _, p := range d.Payouts {
				fmt.Fprintf(w, "    %s:%d %d sat to %s\n", p.TxID, p.Vout, p.Value, p.Address)
			}
		case trace.DemixAmbiguous:
			fmt.Fprintf(w, ": several sets of its %d payouts fit; stopped at the mixer\n", d.Candidates)
		case trace.DemixContested:
			fmt.Fprintf(w, ": the one set that fits fits %d other deposits too; stopped at the mixer\n", d.Rivals)
		default:
			fmt.Fprintf(w, " among %d payouts; stopped at the mixer\n", d.Candidates)
		}
	}
}

const defaultStopCategories = attrib.DefaultStopCategories

// tagLabels turns the node's address tags in the given categories into
// trace labels (see attrib.Strongest), resolved by chainlabels.
func tagLabels(ctx context.Context, e *env, cmd string, ix *chainindex.Index, data, categories string) (trace.Labels, error) {
	want, err := attrib.ParseCategories(categories)
	if err != nil {
		return nil, usagef("%s: --stop-at: %v", cmd, err)
	}
	tags := func() (*tagfile.File, func(), error) {
		tf, err := openTags(ctx, e, cmd, data, true)
		if err != nil {
			return nil, nil, err
		}
		return tf, func() { tf.Close() }, nil
	}
	warn := func(err error) { fmt.Fprintf(e.stderr, "%s: %v\n", cmd, err) }
	return chainlabels.Resolve(ix, filepath.Join(data, "chain"), tagPath(data), want, tags, warn)
}

// readLabels reads address,entity,category lines; blank lines and lines
// starting with # are skipped, unknown addresses too (tags name addresses
// a chain may never have used).
func readLabels(ix *chainindex.Index, path string) (trace.Labels, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	sc := bufio.NewScanner(io.LimitReader(f, maxLabelBytes+1))
	sc.Buffer(make([]byte, 0, 1024), maxLabelLine)
	l := trace.Labels{}
	var read int64
	for n := 1; sc.Scan(); n++ {
		read += int64(len(sc.Bytes())) + 1
		if read > maxLabelBytes {
			return nil, fmt.Errorf("%s: larger than %d bytes", path, maxLabelBytes)
		}
		line := strings.TrimSpace(sc.Text())
		if line == "" || line[0] == '#' {
			continue
		}
		fields := strings.Split(line, ",")
		if len(fields) != 3 || fields[1] == "" || fields[2] == "" {
			return nil, fmt.Errorf("%s:%d: want address,entity,category", path, n)
		}
		id, err := ix.LookupAddress(fields[0])
		if errors.Is(err, chainindex.ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("%s:%d: %w", path, n, err)
		}
		l[id] = trace.Label{Entity: fields[1], Category: fields[2]}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return l, nil
}
