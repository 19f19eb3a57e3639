package main

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/entente/entente/internal/attrib"
	"github.com/entente/entente/internal/attrib/tagfile"
	"github.com/entente/entente/internal/chainindex"
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
// trace labels (see attrib.Strongest). Resolving every tag's address in
// the index is kept in DIR/chain/labels-CATEGORIES.res (tagfile.Resolution)
// while the tag file is unchanged and the index still holds the block the
// ids were resolved at: then only the addresses the index lacked are
// looked up again, and the tag file is not read.
func tagLabels(ctx context.Context, e *env, cmd string, ix *chainindex.Index, data, categories string) (trace.Labels, error) {
	want, err := attrib.ParseCategories(categories)
	if err != nil {
		return nil, usagef("%s: --stop-at: %v", cmd, err)
	}
	cats := slices.Sorted(maps.Keys(want))
	names := make([]string, len(cats))
	for i, c := range cats {
		names[i] = string(c)
	}
	cachePath := filepath.Join(data, "chain", "labels-"+strings.Join(names, ",")+".res")
	key, stamped := resolutionKey(tagPath(data), names)
	st, err := ix.Stats()
	if err != nil {
		return nil, err
	}
	var res *tagfile.Resolution
	changed := true // res differs from the file, or its anchor does
	if stamped {
		r, anchor, ok, err := tagfile.ReadResolution(cachePath, key)
		if err != nil {
			fmt.Fprintf(e.stderr, "%s: %v; resolving the tags again\n", cmd, err)
		}
		if ok && anchorHolds(ix, anchor) {
			res, changed = r, st.Addresses > anchorAddresses(anchor)
			if changed && len(r.Missing) > 0 {
				r.Recheck(ix.LookupAddress)
			}
		}
	}
	if res == nil {
		tf, err := openTags(ctx, e, cmd, data, true)
		if err != nil {
			return nil, err
		}
		res = tagfile.Resolve(tf.All(), want, ix.LookupAddress)
		tf.Close()
	}
	if a := anchorOf(ix, st.Addresses); stamped && changed && a != nil {
		// A cache: a node directory the command cannot write still works.
		_ = tagfile.WriteResolution(cachePath, key, a, res)
	}
	l := make(trace.Labels, len(res.IDs))
	for id, x := range res.All() {
		l[id] = trace.Label{Entity: x.Entity, Category: x.Category}
	}
	return l, nil
}

// resolutionKey names the tag file's state (inode, size, modification
// time) and the categories; false when the tag file cannot be stated.
func resolutionKey(path string, categories []string) ([]byte, bool) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, false
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return nil, false
	}
	return fmt.Appendf(nil, "%d %d %d %s", st.Ino, fi.Size(), fi.ModTime().UnixNano(), strings.Join(categories, ",")), true
}

// An anchor is the index state ids were resolved at: height uint32 |
// block hash [32] | addresses uint64. Ids are dense and given in chain
// order, so they stand while the index holds that block at that height.
func anchorOf(ix *chainindex.Index, addresses uint64) []byte {
	_, blocks := ix.Tip()
	if blocks == 0 {
		return nil
	}
	h := ix.BlockHash(blocks - 1)
	b := binary.LittleEndian.AppendUint32(nil, blocks-1)
	b = append(b, h[:]...)
	return binary.LittleEndian.AppendUint64(b, addresses)
}

func anchorHolds(ix *chainindex.Index, a []byte) bool {
	if len(a) != 4+32+8 {
		return false
	}
	height := binary.LittleEndian.Uint32(a)
	_, blocks := ix.Tip()
	if height >= blocks {
		return false
	}
	h := ix.BlockHash(height)
	return string(h[:]) == string(a[4:36])
}

func anchorAddresses(a []byte) uint64 { return binary.LittleEndian.Uint64(a[36:]) }

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
