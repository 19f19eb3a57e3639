package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"

	"github.com/entente/entente/internal/chainindex"
)

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
