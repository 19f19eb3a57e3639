package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/entente/entente/internal/attrib"
	"github.com/entente/entente/internal/attrib/tagfile"
	"github.com/entente/entente/internal/chain"
	"github.com/entente/entente/internal/chainindex"
)

// tagPath is where a node keeps its address tags, beside the chain index.
func tagPath(data string) string { return filepath.Join(data, "chain", "tags.jsonl") }

// openTags opens the node's tag file; a missing one is empty.
func openTags(ctx context.Context, e *env, cmd, data string, readOnly bool) (*tagfile.File, error) {
	if !readOnly {
		if err := os.MkdirAll(filepath.Join(data, "chain"), 0o755); err != nil {
			return nil, fmt.Errorf("%s: %w", cmd, err)
		}
	}
	tf, err := tagfile.Open(ctx, tagfile.Config{Path: tagPath(data), ReadOnly: readOnly, Now: e.now,
		Logger: slog.New(slog.NewTextHandler(e.stderr, nil))})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", cmd, err)
	}
	return tf, nil
}

// tagNetwork returns the network whose addresses tags are checked
// against: --network, which must be the chain index's if there is one.
func tagNetwork(ctx context.Context, cmd, data, netName string) (chain.Network, error) {
	net, err := chain.ParseNetwork(netName)
	if err != nil {
		return net, usagef("%s: --network: %v", cmd, err)
	}
	ix, err := chainindex.Open(ctx, chainindex.Config{Dir: filepath.Join(data, "chain"), Network: net, ReadOnly: true})
	if errors.Is(err, chainindex.ErrNotFound) {
		return net, nil
	}
	if err != nil {
		return net, fmt.Errorf("%s: %w", cmd, err)
	}
	return net, ix.Close()
}

func chainTagImportFlags(fs *flag.FlagSet) func(context.Context, *env, []string) error {
	data, netName := chainFlags(fs)
	format := fs.String("format", "", "tagpack (GraphSense TagPack YAML) or ofac (an OFAC SDN address list, one address a line) (required)")
	currency := fs.String("currency", "BTC", "keep tags of this currency; for ofac, the list's asset (XBT is BTC)")
	return func(ctx context.Context, e *env, args []string) error {
		if len(args) == 0 {
			return usagef("chain tag import: missing PATH")
		}
		if *format != "tagpack" && *format != "ofac" {
			return usagef("chain tag import: --format %q: want tagpack or ofac", *format)
		}
		want := strings.ToUpper(*currency)
		if want == "XBT" {
			want = "BTC"
		}
		net, err := tagNetwork(ctx, "chain tag import", *data, *netName)
		if err != nil {
			return err
		}
		// Every file is parsed before anything is written: a fault in the
		// last file leaves the store as it was.
		batches := make([][]attrib.Tag, len(args))
		skips := make([]map[string]int, len(args))
		for i, path := range args {
			batches[i], skips[i], err = readTags(path, *format, want, net)
			if err != nil {
				return fmt.Errorf("chain tag import: %w", err)
			}
		}
		tf, err := openTags(ctx, e, "chain tag import", *data, false)
		if err != nil {
			return err
		}
		defer tf.Close()
		for i, path := range args {
			added, err := tf.Append(ctx, batches[i])
			if err != nil {
				return fmt.Errorf("chain tag import: %s: %w", path, err)
			}
			if dup := len(batches[i]) - added; dup > 0 {
				skips[i]["already present"] += dup
			}
			fmt.Fprintf(e.stdout, "%s: imported %d tags, skipped %d%s\n", path, added, total(skips[i]), reasons(skips[i]))
		}
		return nil
	}
}

// readTags parses one file and keeps the tags of currency want whose
// addresses are of net (for BTC), counting the others by reason. Errors
// name the file.
func readTags(path, format, want string, net chain.Network) ([]attrib.Tag, map[string]int, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, err // *PathError names it
	}
	defer f.Close()
	skip := map[string]int{}
	var all []attrib.Tag
	if format == "ofac" {
		all, err = attrib.ParseOFAC(f, want)
	} else {
		all, err = attrib.ParseTagPack(f, attrib.Limits{Currency: want, Skipped: func(string) { skip["of another currency"]++ }})
	}
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", path, err)
	}
	var keep []attrib.Tag
	for _, t := range all {
		if want == "BTC" && attrib.CheckAddress(net, t.Address) != nil {
			skip["not an address of "+net.Name]++
			continue
		}
		keep = append(keep, t)
	}
	return keep, skip, nil
}

func total(m map[string]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}

// reasons formats skip counts as ": 2 already present, 1 of another currency".
func reasons(m map[string]int) string {
	if len(m) == 0 {
		return ""
	}
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(m)) {
		parts = append(parts, fmt.Sprintf("%d %s", m[k], k))
	}
	return ": " + strings.Join(parts, ", ")
}

func vocabulary() string {
	var names []string
	for _, c := range attrib.Categories() {
		names = append(names, string(c))
	}
	return strings.Join(names, ", ")
}

func chainTagAddFlags(fs *flag.FlagSet) func(context.Context, *env, []string) error {
	data, netName := chainFlags(fs)
	category := fs.String("category", "", "one of "+vocabulary()+" (required)")
	actor := fs.String("actor", "", "who controls the address, e.g. an exchange or ransomware group")
	label := fs.String("label", "", "free text shown with the tag")
	source := fs.String("source", "analyst", "where the attribution comes from: a case number, a report's URL")
	conf := fs.String("confidence", "50", "0 to 100, or a GraphSense confidence name (ownership, authority_data, forensic, ...)")
	return func(ctx context.Context, e *env, args []string) error {
		if err := exactArgs("chain tag add", args, "ADDR"); err != nil {
			return err
		}
		c, ok := attrib.ParseCategory(*category)
		if !ok {
			return usagef("chain tag add: --category %q: want one of %s", *category, vocabulary())
		}
		n, ok := attrib.Confidence(*conf)
		if !ok {
			return usagef("chain tag add: --confidence %q: want 0 to 100 or a GraphSense confidence name", *conf)
		}
		net, err := tagNetwork(ctx, "chain tag add", *data, *netName)
		if err != nil {
			return err
		}
		if err := attrib.CheckAddress(net, args[0]); err != nil {
			return fmt.Errorf("chain tag add: %w", err)
		}
		t := attrib.Tag{Address: args[0], Currency: "BTC", Category: c, Actor: *actor, Label: *label,
			Source: *source, Confidence: n}
		if string(c) != strings.TrimSpace(*category) {
			t.Original = strings.TrimSpace(*category)
		}
		if err := t.Validate(); err != nil {
			return fmt.Errorf("chain tag add: %w", err)
		}
		tf, err := openTags(ctx, e, "chain tag add", *data, false)
		if err != nil {
			return err
		}
		defer tf.Close()
		added, err := tf.Append(ctx, []attrib.Tag{t})
		if err != nil {
			return fmt.Errorf("chain tag add: %w", err)
		}
		if added == 0 {
			fmt.Fprintf(e.stdout, "%s already has this tag\n", t.Address)
			return nil
		}
		fmt.Fprintf(e.stdout, "tagged %s as %s\n", t.Address, describe(t))
		return nil
	}
}

func chainTagListFlags(fs *flag.FlagSet) func(context.Context, *env, []string) error {
	data := fs.String("data", "entente-data", "data directory of the node; tags are in DIR/chain/tags.jsonl")
	fs.String("config", "", "config file of 'name = value' lines, see 'entente help config'")
	category := fs.String("category", "", "list only tags of this category")
	addr := fs.String("address", "", "list only this address's tags")
	asJSON := fs.Bool("json", false, "print JSON")
	return func(ctx context.Context, e *env, args []string) error {
		if err := exactArgs("chain tag list", args); err != nil {
			return err
		}
		var want attrib.Category
		if *category != "" {
			c, ok := attrib.ParseCategory(*category)
			if !ok {
				return usagef("chain tag list: --category %q: want one of %s", *category, vocabulary())
			}
			want = c
		}
		tf, err := openTags(ctx, e, "chain tag list", *data, true)
		if err != nil {
			return err
		}
		defer tf.Close()
		tags := []attrib.Tag{}
		for t := range tf.All() {
			if (want == "" || t.Category == want) && (*addr == "" || t.Address == *addr) {
				tags = append(tags, t)
			}
		}
		if *asJSON {
			return writeJSON(e.stdout, tags)
		}
		for _, t := range tags {
			fmt.Fprintf(e.stdout, "%s %s\n", t.Address, describe(t))
		}
		return nil
	}
}

// describe is a tag in one line, without its address.
func describe(t attrib.Tag) string {
	var b strings.Builder
	b.WriteString(string(t.Category))
	if t.Original != "" {
		fmt.Fprintf(&b, " (%s)", t.Original)
	}
	if t.Actor != "" {
		fmt.Fprintf(&b, " actor %q", t.Actor)
	}
	if t.Label != "" {
		fmt.Fprintf(&b, " label %q", t.Label)
	}
	fmt.Fprintf(&b, " confidence %d source %q", t.Confidence, t.Source)
	return b.String()
}

// inIndexCluster reports whether an address is in the cluster of root; an
// address not on this chain is not.
func inIndexCluster(ix *chainindex.Index, root uint32) func(string) (bool, error) {
	return func(a string) (bool, error) {
		id, err := ix.LookupAddress(a)
		if err != nil {
			return false, nil // not on this chain, or another currency's
		}
		r, _, err := ix.ClusterOf(id)
		return r == root, err
	}
}

func printTags(w io.Writer, tags []attrib.Tag) {
	for _, t := range tags {
		fmt.Fprintf(w, "  tag: %s\n", describe(t))
	}
}
