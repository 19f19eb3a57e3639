package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"time"

	"github.com/btcsuite/btcd/chaincfg"
	"github.com/entente/entente/internal/sim"
)

// network maps a --network choice to its blk file magic and address encoding.
func network(name string) (*chaincfg.Params, bool) {
	switch name {
	case "mainnet":
		return &chaincfg.MainNetParams, true
	case "testnet3":
		return &chaincfg.TestNet3Params, true
	case "regtest":
		return &chaincfg.RegressionNetParams, true
	case "signet":
		return &chaincfg.SigNetParams, true
	}
	return nil, false
}

func simGenerateFlags(fs *flag.FlagSet) func(context.Context, *env, []string) error {
	seed := fs.Uint64("seed", 1, "seed of the run: the same seed and flags give the same bytes")
	txs := fs.Int("txs", 0, "number of transactions to generate, coinbases included (required)")
	out := fs.String("out", "", "directory to write blocks/, truth/ and tags/ into (required)")
	profile := fs.String("profile", "realistic", "economy: realistic (today's, with history), early (2011-2013: P2PKH, reuse, "+
		"no CoinJoin), privacy (Taproot, CoinJoins, Whirlpool remixes, mixer) or ransomware (many incidents)")
	netName := fs.String("network", "mainnet", "mainnet, testnet3, regtest or signet: blk magic and address encoding")
	perBlock := fs.Int("txs-per-block", 2000, "mean transactions per block")
	people := fs.Int("individuals", 10_000, "number of individuals in the economy")
	return func(ctx context.Context, e *env, args []string) error {
		if err := exactArgs("sim generate", args); err != nil {
			return err
		}
		if *out == "" {
			return usagef("sim generate: --out is required")
		}
		params, ok := network(*netName)
		if !ok {
			return usagef("sim generate: --network %q: want mainnet, testnet3, regtest or signet", *netName)
		}
		start := e.now()
		st, err := sim.Generate(ctx, *out, sim.Config{
			Seed: *seed, Txs: *txs, Profile: *profile, Network: params,
			TxsPerBlock: *perBlock, Individuals: *people,
			Logger: slog.New(slog.NewTextHandler(e.stderr, nil)),
		})
		if errors.Is(err, sim.ErrConfig) {
			return usagef("sim generate: %v", err)
		}
		if err != nil {
			return fmt.Errorf("sim generate: %w", err)
		}
		fmt.Fprintf(e.stdout, "wrote %d transactions in %d blocks (%d bytes), %d addresses, %d ransom incidents to %s in %s\n",
			st.Txs, st.Blocks, st.Bytes, st.Addresses, st.Incidents, *out, e.now().Sub(start).Round(time.Millisecond))
		return nil
	}
}
