package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"

	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"golang.org/x/term"

	"github.com/entente/entente/internal/chainindex"
	"github.com/entente/entente/internal/progress"
)

func chainIngestFlags(fs *flag.FlagSet) func(context.Context, *env, []string) error {
	data, netName := chainFlags(fs)
	blocks := fs.String("blocks", "", "Bitcoin Core blocks/ directory (blk*.dat, optional xor.dat) or one blk file (this or --raw is required)")
	var raw fileList
	fs.Var(&raw, "raw", "evidence files of one block each, raw or hex, comma-separated or the flag repeated; indexed in the order they connect (instead of --blocks)")
	rpc := rpcFlags(fs, true)
	limit := fs.Int("cluster-limit", 10_000, "refuse a merge of two clusters both larger than this many addresses")
	every := fs.Int("commit-every", 1000, "blocks between commits")
	return func(ctx context.Context, e *env, args []string) error {
		if err := exactArgs("chain ingest", args); err != nil {
			return err
		}
		sources := 0
		for _, given := range []bool{*blocks != "", len(raw) > 0, rpc.url != ""} {
			if given {
				sources++
			}
		}
		switch {
		case sources == 0:
			return usagef("chain ingest: --blocks is required (or --rpc to follow a node, --raw for single blocks)")
		case sources > 1:
			return usagef("chain ingest: --blocks, --rpc and --raw exclude each other")
		}
		if rpc.url != "" {
			return ingestRPC(ctx, e, rpc, *data, *netName, *limit, *every)
		}
		var src chainindex.Source
		if *blocks != "" {
			var err error
			if src, err = chainindex.OpenSource(*blocks); err != nil {
				return fmt.Errorf("chain ingest: %w", err)
			}
		}
		log := slog.New(slog.NewTextHandler(e.stderr, nil))
		var bar *progress.Bar
		if f, ok := e.stderr.(*os.File); ok && *blocks != "" && term.IsTerminal(int(f.Fd())) {
			bar = progress.New(progress.Config{Out: e.stderr, Now: e.now, Unit: "blocks", RateUnit: "tx"})
		}
		ix, err := openChainIndex(ctx, "chain ingest", *data, *netName, false, func(c *chainindex.Config) {
			c.ClusterLimit, c.CommitEvery, c.Logger, c.Now = *limit, *every, log, e.now
			if bar != nil {
				c.Progress = bar.Update
			}
		})
		if err != nil {
			return err
		}
		if len(raw) > 0 {
			err = ingestRaw(ctx, e.stdout, ix, raw)
			if cerr := ix.Close(); err == nil {
				err = cerr
			}
			if err != nil {
				return fmt.Errorf("chain ingest: %w", err)
			}
			return nil
		}
		st, err := ix.Ingest(ctx, src)
		if bar != nil {
			bar.Finish()
		}
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

// fileList is a flag of file names, comma-separated, that may be repeated.
type fileList []string

func (l *fileList) String() string { return strings.Join(*l, ",") }

func (l *fileList) Set(v string) error {
	for name := range strings.SplitSeq(v, ",") {
		if name = strings.TrimSpace(name); name == "" {
			return fmt.Errorf("empty file name in %q", v)
		}
		*l = append(*l, name)
	}
	return nil
}

// evidenceBlock is what ordering needs of an evidence block.
type evidenceBlock struct {
	file       string
	hash, prev chainhash.Hash
}

// ingestRaw indexes one block from each file, in the order they connect,
// each on the index's tip. Each block is committed once added, so that a
// later block that does not connect, or spends what the index does not
// have, leaves the earlier ones indexed. Blocks are read twice, to order
// them and to index them, so that only one is held in memory at a time.
func ingestRaw(ctx context.Context, out io.Writer, ix *chainindex.Index, files []string) error {
	bs := make([]evidenceBlock, 0, len(files))
	for _, name := range files {
		ev, err := readEvidence(name)
		if err != nil {
			return err
		}
		blk, err := ev.block()
		if err != nil {
			return err
		}
		bs = append(bs, evidenceBlock{file: name, hash: blk.Hash(), prev: blk.Header.PrevBlock})
	}
	var added, txs int
	for _, i := range connectOrder(bs) {
		if err := ctx.Err(); err != nil {
			return err
		}
		b := bs[i]
		ev, err := readEvidence(b.file)
		if err != nil {
			return err
		}
		blk, err := ev.block()
		if err != nil {
			return err
		}
		if blk.Hash() != b.hash {
			return fmt.Errorf("%s: changed while being read: block %s, then %s", b.file, b.hash, blk.Hash())
		}
		tip, count := ix.Tip()
		if count == 0 {
			tip = chainhash.Hash{} // the genesis block's previous hash
		}
		if b.prev != tip {
			if h, ok := indexedAt(ix, b.hash); ok {
				fmt.Fprintf(out, "%s: block %s already indexed at height %d\n", b.file, b.hash, h)
				continue
			}
			if count == 0 {
				return fmt.Errorf("%s: block %s does not connect: the index is empty and starts with the genesis block, whose previous hash is all zeros, not %s (%d blocks indexed before it)",
					b.file, b.hash, b.prev, added)
			}
			return fmt.Errorf("%s: block %s does not connect: its previous block is %s, the index tip is %s (height %d) (%d blocks indexed before it)",
				b.file, b.hash, b.prev, tip, count-1, added)
		}
		if err := ix.AddBlock(blk); err != nil {
			return fmt.Errorf("%s: block %s (%d blocks indexed before it): %w", b.file, b.hash, added, err)
		}
		if err := ix.Commit(); err != nil {
			return err
		}
		added++
		txs += len(blk.Txs)
		fmt.Fprintf(out, "%s: block %s indexed at height %d, %d transactions\n", b.file, b.hash, count, len(blk.Txs))
	}
	fmt.Fprintf(out, "indexed %d blocks, %d transactions\n", added, txs)
	return nil
}

// indexedAt finds an indexed block by hash, from the tip down: evidence
// blocks are most often recent.
func indexedAt(ix *chainindex.Index, hash chainhash.Hash) (uint32, bool) {
	_, count := ix.Tip()
	for h := count; h > 0; h-- {
		if ix.BlockHash(h-1) == hash {
			return h - 1, true
		}
	}
	return 0, false
}

// connectOrder orders blocks so that a block whose previous block is among
// them comes after it: from each block whose parent is not given, in the
// order given, depth first through its children, also in the order given.
// A block given twice is visited twice (the second is already indexed by
// then) but its children once.
func connectOrder(bs []evidenceBlock) []int {
	given := make(map[chainhash.Hash]bool, len(bs))
	children := make(map[chainhash.Hash][]int, len(bs))
	for i, b := range bs {
		given[b.hash] = true
		children[b.prev] = append(children[b.prev], i)
	}
	order := make([]int, 0, len(bs))
	visited := make([]bool, len(bs))
	expanded := make(map[chainhash.Hash]bool, len(bs))
	var stack []int
	for root := range bs {
		if given[bs[root].prev] {
			continue
		}
		stack = append(stack[:0], root)
		for len(stack) > 0 {
			i := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			if visited[i] {
				continue
			}
			visited[i] = true
			order = append(order, i)
			if expanded[bs[i].hash] {
				continue
			}
			expanded[bs[i].hash] = true
			c := children[bs[i].hash]
			for j := len(c) - 1; j >= 0; j-- {
				stack = append(stack, c[j])
			}
		}
	}
	// Hashes make cycles impossible, but drop no block if one came anyway.
	for i := range bs {
		if !visited[i] {
			order = append(order, i)
		}
	}
	return order
}
