package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"time"

	"golang.org/x/term"

	"github.com/entente/entente/internal/btcrpc"
	"github.com/entente/entente/internal/chainindex"
	"github.com/entente/entente/internal/follow"
	"github.com/entente/entente/internal/progress"
)

// rpcOptions are the flags of following a node over JSON-RPC.
type rpcOptions struct {
	url, user, pass, cookie, cert string
	once                          bool
	poll                          time.Duration
}

// rpcFlags defines the flags of following a node; withOnce adds --once,
// which only a command that can finish has.
func rpcFlags(fs *flag.FlagSet, withOnce bool) *rpcOptions {
	o := &rpcOptions{}
	fs.StringVar(&o.url, "rpc", "", "follow a node over JSON-RPC: http://host:8332 (Bitcoin Core) or https://host:8334 (btcd); catches up, then polls for new blocks and follows reorganisations until interrupted")
	fs.StringVar(&o.user, "rpc-user", "", "RPC user (or in the --rpc URL)")
	fs.StringVar(&o.pass, "rpc-pass", "", "RPC password; prefer ENTENTE_RPC_PASS or the config file to keep it out of the process list")
	fs.StringVar(&o.cookie, "rpc-cookie", "", "Bitcoin Core's .cookie file, instead of a user and password")
	fs.StringVar(&o.cert, "rpc-cert", "", "PEM certificate to trust for an https node: btcd's rpc.cert")
	if withOnce {
		fs.BoolVar(&o.once, "once", false, "with --rpc: stop once the index holds the node's best chain")
	}
	fs.DurationVar(&o.poll, "poll", 5*time.Second, "with --rpc: wait between polls of the node's tip")
	return o
}

// client checks the options and returns the node's client.
func (o *rpcOptions) client(cmd string) (*btcrpc.Client, error) {
	if o.poll < 100*time.Millisecond || o.poll > time.Hour {
		return nil, usagef("%s: --poll %s not in [100ms, 1h]", cmd, o.poll)
	}
	node, err := btcrpc.New(btcrpc.Config{URL: o.url, User: o.user, Password: o.pass, CookieFile: o.cookie, CAFile: o.cert})
	if err != nil {
		return nil, usagef("%s: --rpc: %v", cmd, err)
	}
	return node, nil
}

func ingestRPC(ctx context.Context, e *env, o *rpcOptions, data, netName string, limit, every int) error {
	node, err := o.client("chain ingest")
	if err != nil {
		return err
	}
	log := slog.New(slog.NewTextHandler(e.stderr, nil))
	ix, err := openChainIndex(ctx, "chain ingest", data, netName, false, func(c *chainindex.Config) {
		c.ClusterLimit, c.CommitEvery, c.Logger, c.Now = limit, every, log, e.now
	})
	if err != nil {
		return err
	}
	cfg := follow.Config{Index: ix, Node: node, Network: netName, Once: o.once, Poll: o.poll, Logger: log}
	var bar *progress.Bar
	if f, ok := e.stderr.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		bar = progress.New(progress.Config{Out: e.stderr, Now: e.now, Unit: "blocks", RateUnit: "tx"})
		cfg.Progress = func(blocks, nodeBlocks int64, txs uint64) {
			if nodeBlocks-blocks > follow.NearTip {
				bar.Update(int(blocks), int(nodeBlocks), txs)
			} else {
				bar.Finish() // at the tip: log lines per block instead
			}
		}
	}
	_, from := ix.Tip()
	st, err := follow.Follow(ctx, cfg)
	if bar != nil {
		bar.Finish()
	}
	_, to := ix.Tip()
	if cerr := ix.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		if errors.Is(err, chainindex.ErrTooDeep) {
			return fmt.Errorf("chain ingest: %w; ingest again from block files into a new data directory", err)
		}
		return fmt.Errorf("chain ingest: %w (the index keeps the %d blocks before the fault; run again to resume)", err, to)
	}
	log.Info("following stopped", "from_blocks", from, "blocks", to, "indexed", st.Blocks, "txs", st.Txs,
		"reorganisations", st.Reorgs, "undone_blocks", st.Undone)
	fmt.Fprintf(e.stdout, "indexed %d blocks, %d transactions; the index holds %d blocks", st.Blocks, st.Txs, to)
	if st.Reorgs > 0 {
		fmt.Fprintf(e.stdout, "; followed %d reorganisations, undoing %d blocks", st.Reorgs, st.Undone)
	}
	fmt.Fprintln(e.stdout)
	return nil
}

// followInServe opens the chain index for writing and follows the node in
// the background until ctx ends; the returned wait blocks until the last
// commit is done. A follower that stops on an error logs it: the node
// goes on serving TAXII and what the index holds.
func followInServe(ctx context.Context, o *rpcOptions, data, netName string, log *slog.Logger) (wait func(), err error) {
	node, err := o.client("serve")
	if err != nil {
		return nil, err
	}
	ix, err := openChainIndex(ctx, "serve", data, netName, false, func(c *chainindex.Config) { c.Logger = log })
	if err != nil {
		return nil, err
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		st, err := follow.Follow(ctx, follow.Config{Index: ix, Node: node, Network: netName, Poll: o.poll, Logger: log})
		if cerr := ix.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			log.Error("following the node stopped", "node", redactURL(o.url), "err", err)
			return
		}
		log.Info("following the node stopped", "indexed", st.Blocks, "reorganisations", st.Reorgs)
	}()
	return func() { <-done }, nil
}

// redactURL hides a password given in a node's URL, for logs.
func redactURL(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		return "(unparsable URL)"
	}
	return u.Redacted()
}
