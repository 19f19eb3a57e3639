package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
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
