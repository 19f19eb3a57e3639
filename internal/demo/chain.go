package demo

import (
	"bufio"
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"github.com/entente/entente/internal/attrib"
	"github.com/entente/entente/internal/attrib/tagfile"
	"github.com/entente/entente/internal/chain"
	"github.com/entente/entente/internal/chainindex"
	"github.com/entente/entente/internal/sim"
)

// Demo chain settings: small enough to make and index in a second or two
// on first start, large enough to hold several ransom incidents with their
// consolidations, peels, mixing and cash-outs.
const (
	chainSeed = 2026
	chainTxs  = 60_000
)

// ChainResult says what SeedChain made.
type ChainResult struct {
	Seeded    bool   // false when the node already had a chain index
	Txs       int    // transactions indexed
	Incidents int    // ransom incidents in the economy
	Tags      int    // address tags imported from the economy's TagPacks
	Payment   string // the first ransom payment, txid:vout, to trace from
}

// SeedChain gives a demo node a Bitcoin chain to investigate: it generates
// a small synthetic economy (package sim) into dir/demo-chain, ingests it
// into the node's chain index (dir/chain) and imports the economy's
// TagPacks as the node's address tags, so that a new user can trace a
// ransom payment to the exchanges where it was cashed out at once. It does
// nothing when dir/chain already exists.
func SeedChain(ctx context.Context, dir string, log *slog.Logger) (ChainResult, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	chainDir := filepath.Join(dir, "chain")
	if _, err := os.Stat(chainDir); err == nil {
		return ChainResult{}, nil
	}
	simDir := filepath.Join(dir, "demo-chain")
	st, err := sim.Generate(ctx, simDir, sim.Config{Seed: chainSeed, Txs: chainTxs, Individuals: 2000, TxsPerBlock: 500})
	if err != nil {
		return ChainResult{}, fmt.Errorf("demo chain: %w", err)
	}
	net, err := chain.ParseNetwork("mainnet")
	if err != nil {
		return ChainResult{}, err
	}
	ix, err := chainindex.Open(ctx, chainindex.Config{Dir: chainDir, Network: net, Logger: log})
	if err != nil {
		return ChainResult{}, fmt.Errorf("demo chain: %w", err)
	}
	src, err := chainindex.OpenSource(filepath.Join(simDir, "blocks"))
	if err != nil {
		ix.Close()
		return ChainResult{}, fmt.Errorf("demo chain: %w", err)
	}
	if _, err := ix.Ingest(ctx, src); err != nil {
		ix.Close()
		return ChainResult{}, fmt.Errorf("demo chain: %w", err)
	}
	if err := ix.Close(); err != nil {
		return ChainResult{}, fmt.Errorf("demo chain: %w", err)
	}
	res := ChainResult{Seeded: true, Txs: st.Txs, Incidents: st.Incidents}
	if res.Tags, err = importTags(ctx, filepath.Join(simDir, "tags"), filepath.Join(chainDir, "tags.jsonl")); err != nil {
		return res, fmt.Errorf("demo chain: %w", err)
	}
	res.Payment, err = firstPayment(filepath.Join(simDir, "truth", "ransom_payments.csv"))
	return res, err
}

func importTags(ctx context.Context, packs, path string) (int, error) {
	files, err := filepath.Glob(filepath.Join(packs, "*.yaml"))
	if err != nil {
		return 0, err
	}
	var tags []attrib.Tag
	for _, f := range files {
		r, err := os.Open(f)
		if err != nil {
			return 0, err
		}
		ts, err := attrib.ParseTagPack(r, attrib.Limits{})
		r.Close()
		if err != nil {
			return 0, fmt.Errorf("%s: %w", f, err)
		}
		tags = append(tags, ts...)
	}
	tf, err := tagfile.Open(ctx, tagfile.Config{Path: path})
	if err != nil {
		return 0, err
	}
	n, err := tf.Append(ctx, tags)
	if cerr := tf.Close(); err == nil {
		err = cerr
	}
	return n, err
}

// firstPayment reads the first ransom payment of the economy's truth
// (incident_id,operator_id,victim_id,txid,vout,value).
func firstPayment(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Scan() // header
	if !sc.Scan() {
		return "", fmt.Errorf("demo chain: %s: no ransom payment", path)
	}
	fields := strings.Split(sc.Text(), ",")
	if len(fields) < 6 {
		return "", fmt.Errorf("demo chain: %s: malformed line %q", path, sc.Text())
	}
	return fields[3] + ":" + fields[4], nil
}
