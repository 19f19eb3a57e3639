package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"

	"github.com/entente/entente/internal/attrib"
	"github.com/entente/entente/internal/chain"
	"github.com/entente/entente/internal/chainindex"
)

// chainFlags are the flags every chain command shares.
func chainFlags(fs *flag.FlagSet) (data, netName *string) {
	data = fs.String("data", "entente-data", "data directory of the node; the chain index is in DIR/chain")
	netName = fs.String("network", "mainnet", "mainnet, testnet, signet, regtest or simnet")
	fs.String("config", "", "config file of 'name = value' lines, see 'entente help config'")
	return data, netName
}

func openChainIndex(ctx context.Context, cmd, data, netName string, readOnly bool, mod func(*chainindex.Config)) (*chainindex.Index, error) {
	net, err := chain.ParseNetwork(netName)
	if err != nil {
		return nil, usagef("%s: --network: %v", cmd, err)
	}
	cfg := chainindex.Config{Dir: filepath.Join(data, "chain"), Network: net, ReadOnly: readOnly}
	if mod != nil {
		mod(&cfg)
	}
	ix, err := chainindex.Open(ctx, cfg)
	if errors.Is(err, chainindex.ErrNotFound) {
		return nil, fmt.Errorf("%s: no chain index in %s; build one with 'entente chain ingest --data %s --blocks PATH'", cmd, data, data)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", cmd, err)
	}
	return ix, nil
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

func chainIngestFlags(fs *flag.FlagSet) func(context.Context, *env, []string) error {
	data, netName := chainFlags(fs)
	blocks := fs.String("blocks", "", "Bitcoin Core blocks/ directory (blk*.dat, optional xor.dat) or one blk file (required)")
	limit := fs.Int("cluster-limit", 10_000, "refuse a merge of two clusters both larger than this many addresses")
	every := fs.Int("commit-every", 1000, "blocks between commits")
	return func(ctx context.Context, e *env, args []string) error {
		if err := exactArgs("chain ingest", args); err != nil {
			return err
		}
		if *blocks == "" {
			return usagef("chain ingest: --blocks is required")
		}
		src, err := chainindex.OpenSource(*blocks)
		if err != nil {
			return fmt.Errorf("chain ingest: %w", err)
		}
		log := slog.New(slog.NewTextHandler(e.stderr, nil))
		ix, err := openChainIndex(ctx, "chain ingest", *data, *netName, false, func(c *chainindex.Config) {
			c.ClusterLimit, c.CommitEvery, c.Logger, c.Now = *limit, *every, log, e.now
		})
		if err != nil {
			return err
		}
		st, err := ix.Ingest(ctx, src)
		if cerr := ix.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return fmt.Errorf("chain ingest: %w", err)
		}
		rate := 0.0
		if s := st.Elapsed.Seconds(); s > 0 {
			rate = float64(st.Txs) / s
		}
		log.Info("ingest done", "blocks", st.Blocks, "txs", st.Txs, "stale_blocks", st.Stale, "tx_per_s", int(rate))
		fmt.Fprintf(e.stdout, "indexed %d blocks, %d transactions\n", st.Blocks, st.Txs)
		return nil
	}
}

func chainStatsFlags(fs *flag.FlagSet) func(context.Context, *env, []string) error {
	data, netName := chainFlags(fs)
	asJSON := fs.Bool("json", false, "print JSON")
	return func(ctx context.Context, e *env, args []string) error {
		if err := exactArgs("chain stats", args); err != nil {
			return err
		}
		ix, err := openChainIndex(ctx, "chain stats", *data, *netName, true, nil)
		if err != nil {
			return err
		}
		defer ix.Close()
		st, err := ix.Stats()
		if err != nil {
			return fmt.Errorf("chain stats: %w", err)
		}
		if *asJSON {
			return writeJSON(e.stdout, st)
		}
		fmt.Fprintf(e.stdout, "height %d, %d blocks, %d txs, %d inputs, %d outputs, %d addresses, %d clusters, %d bytes (%.1f per tx)\n",
			st.Height, st.Blocks, st.Txs, st.Inputs, st.Outputs, st.Addresses, st.Clusters, st.Bytes, st.BytesPerTx)
		return nil
	}
}

func chainAddressFlags(fs *flag.FlagSet) func(context.Context, *env, []string) error {
	data, netName := chainFlags(fs)
	asJSON := fs.Bool("json", false, "print JSON")
	limit := fs.Int("limit", 100, "most outputs to list, newest first")
	return func(ctx context.Context, e *env, args []string) error {
		if err := exactArgs("chain address", args, "ADDR"); err != nil {
			return err
		}
		if *limit < 0 || *limit > 1_000_000 {
			return usagef("chain address: --limit %d not in [0, 1000000]", *limit)
		}
		ix, err := openChainIndex(ctx, "chain address", *data, *netName, true, nil)
		if err != nil {
			return err
		}
		defer ix.Close()
		tf, err := openTags(ctx, e, "chain address", *data, true)
		if err != nil {
			return err
		}
		defer tf.Close()
		tags := tf.Tags(args[0])
		a, err := ix.AddressInfo(args[0], *limit)
		if errors.Is(err, chainindex.ErrNotFound) && len(tags) > 0 {
			// A sanctioned address is worth knowing about before it is paid.
			if *asJSON {
				return writeJSON(e.stdout, struct {
					Address string       `json:"address"`
					Indexed bool         `json:"indexed"`
					Tags    []attrib.Tag `json:"tags"`
				}{args[0], false, tags})
			}
			fmt.Fprintf(e.stdout, "%s: not in the chain index\n", args[0])
			printTags(e.stdout, tags)
			return nil
		}
		if err != nil {
			return fmt.Errorf("chain address: %w", err)
		}
		if *asJSON {
			if tags == nil {
				tags = []attrib.Tag{}
			}
			return writeJSON(e.stdout, struct {
				chainindex.Address
				Indexed bool         `json:"indexed"`
				Tags    []attrib.Tag `json:"tags"`
			}{a, true, tags})
		}
		fmt.Fprintf(e.stdout, "%s (id %d): received %d, spent %d, balance %d sat in %d outputs; cluster %d of %d addresses\n",
			a.Address, a.ID, a.Received, a.Spent, a.Balance, a.Outputs, a.Cluster, a.Size)
		printTags(e.stdout, tags)
		for _, o := range a.List {
			spentBy := ""
			if o.Spent {
				spentBy = o.SpentBy.String()
			}
			fmt.Fprintf(e.stdout, "  %s:%d height %d value %d spent_by %s\n", o.TxID, o.Vout, o.Height, o.Value, spentBy)
		}
		return nil
	}
}

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
