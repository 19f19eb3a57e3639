package main

import (
	"context"
	"flag"
	"fmt"

	"github.com/entente/entente/internal/attrib"
)

func chainClusterFlags(fs *flag.FlagSet) func(context.Context, *env, []string) error {
	data, netName := chainFlags(fs)
	asJSON := fs.Bool("json", false, "print JSON")
	limit := fs.Int("limit", 1000, "most members to list")
	return func(ctx context.Context, e *env, args []string) error {
		if err := exactArgs("chain cluster", args, "ADDR"); err != nil {
			return err
		}
		if *limit < 0 || *limit > 1_000_000 {
			return usagef("chain cluster: --limit %d not in [0, 1000000]", *limit)
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
		root, size, err := ix.ClusterOf(id)
		if err != nil {
			return fmt.Errorf("chain cluster: %w", err)
		}
		ids, err := ix.ClusterMembers(root, *limit)
		if err != nil {
			return fmt.Errorf("chain cluster: %w", err)
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
		tags, err := clusterTags(ix, tf, root, members, uint32(len(members)) == size)
		if err != nil {
			return fmt.Errorf("chain cluster: %w", err)
		}
		groups := attrib.Summarize(tags)
		if *asJSON {
			return writeJSON(e.stdout, struct {
				Address   string         `json:"address"`
				Cluster   uint32         `json:"cluster"`
				Size      uint32         `json:"size"`
				Tags      []attrib.Group `json:"tags"`
				Members   []string       `json:"members"`
				Truncated bool           `json:"truncated"`
			}{args[0], root, size, groups, members, uint32(len(members)) < size})
		}
		fmt.Fprintf(e.stdout, "cluster %d: %d addresses\n", root, size)
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
