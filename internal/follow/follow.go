// Package follow keeps a chain index current with a running Bitcoin node:
// it catches up from the index's tip to the node's, then polls for new
// blocks, and when the node's best chain leaves the index's (a
// reorganisation) it undoes the index's blocks down to the fork and
// indexes the node's instead. An investigator watching a ransom address
// sees its funds move within a poll interval of the node seeing them.
//
// The node is anything with the three calls of [Node]; internal/btcrpc
// speaks them to Bitcoin Core and btcd. Blocks far below the node's tip
// are committed in batches, as block-file ingest does; within
// [NearTip] blocks of it every block is committed before the next is
// asked for, so a block reported indexed survives kill -9.
package follow

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/entente/entente/internal/btcrpc"
	"github.com/entente/entente/internal/chain"
	"github.com/entente/entente/internal/chainindex"
)

// Node is what following needs of a node.
type Node interface {
	ChainInfo(ctx context.Context) (btcrpc.ChainInfo, error)
	BlockHash(ctx context.Context, height int64) (chainhash.Hash, error)
	Block(ctx context.Context, hash chainhash.Hash) ([]byte, error)
}

// NearTip is the distance from the node's tip within which every block is
// committed on its own.
const NearTip = 6

// Config says what to follow.
type Config struct {
	Index *chainindex.Index // opened for writing; required
	Node  Node              // required
	// Network is the index's network name; a node on another is refused.
	Network string
	// Once returns when the index has caught up with the node instead of
	// polling on.
	Once bool
	// Poll is the wait between polls of the node's tip. Optional; default
	// 5 seconds.
	Poll time.Duration
	// Retry is the longest wait before calling an unreachable node again
	// (the wait doubles from one second up to it). Optional; default one
	// minute. With Once, an unreachable node ends Follow instead.
	Retry time.Duration
	// Prefetch is how many blocks are fetched ahead of the one being
	// indexed. Optional; default 8.
	Prefetch int
	// Logger reports blocks, reorganisations and node faults. Optional.
	Logger *slog.Logger
	// Progress, when set, is told the index's block count, the node's and
	// the transactions indexed so far, after every block.
	Progress func(blocks, nodeBlocks int64, txs uint64)
}

// Stats counts what Follow did.
type Stats struct {
	Blocks  int // blocks indexed
	Txs     int
	Reorgs  int // reorganisations followed
	Undone  int // blocks undone by them
	Elapsed time.Duration
}

// Follow runs until ctx ends (nil error then), or with Once until the
// index holds the node's best chain. A node that cannot be reached is
// retried with backoff unless Once is set; everything indexed before a
// fault is committed, never half a block.
func Follow(ctx context.Context, cfg Config) (Stats, error) {
	if cfg.Index == nil || cfg.Node == nil {
		return Stats{}, errors.New("follow: Config.Index and Config.Node are required")
	}
	if cfg.Poll <= 0 {
		cfg.Poll = 5 * time.Second
	}
	if cfg.Retry <= 0 {
		cfg.Retry = time.Minute
	}
	if cfg.Prefetch <= 0 {
		cfg.Prefetch = 8
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	f := &follower{cfg: cfg, ix: cfg.Index, start: time.Now()}
	err := f.run(ctx)
	f.st.Elapsed = time.Since(f.start)
	if cerr := f.ix.Commit(); err == nil {
		err = cerr
	}
	if ctx.Err() != nil && errors.Is(err, ctx.Err()) {
		err = nil
	}
	return f.st, err
}

type follower struct {
	cfg   Config
	ix    *chainindex.Index
	st    Stats
	start time.Time
	blk   chain.Block
}

func (f *follower) run(ctx context.Context) error {
	backoff := time.Second
	checked := false
	stalls := 0
	for {
		before := f.st.Blocks + f.st.Undone
		caughtUp, err := f.step(ctx, &checked)
		// A pass that moved nothing (the node named a block it then could
		// not serve) waits like a caught-up one rather than spin.
		stalled := err == nil && !caughtUp && f.st.Blocks+f.st.Undone == before
		switch {
		case err == nil:
			backoff = time.Second
		case ctx.Err() != nil:
			return ctx.Err()
		case f.cfg.Once || !errors.Is(err, btcrpc.ErrUnreachable):
			return err
		default:
			f.cfg.Logger.Warn("node unreachable; retrying", "err", err, "in", backoff)
			if err := f.ix.Commit(); err != nil {
				return err
			}
			if err := sleep(ctx, backoff); err != nil {
				return err
			}
			backoff = min(2*backoff, f.cfg.Retry)
			continue
		}
		if caughtUp && f.cfg.Once {
			return nil
		}
		// Once may be a reorganisation under the fetch, which the next
		// pass reconciles; three times in a row is the node.
		if stalls++; !stalled {
			stalls = 0
		}
		if stalls >= 3 && f.cfg.Once {
			_, have := f.ix.Tip()
			return fmt.Errorf("follow: the node names a best chain past height %d but does not serve its next block", int64(have)-1)
		}
		if caughtUp || stalled {
			wait := f.cfg.Poll
			if f.cfg.Once {
				wait = min(wait, time.Second)
			}
			if err := sleep(ctx, wait); err != nil {
				return err
			}
		}
	}
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// step brings the index to the node's current tip: undo to the fork if the
// node's chain left the index's, then index the blocks past the tip. It
// reports whether the index holds the node's best chain.
func (f *follower) step(ctx context.Context, checked *bool) (bool, error) {
	info, err := f.cfg.Node.ChainInfo(ctx)
	if err != nil {
		return false, err
	}
	if !*checked {
		if f.cfg.Network != "" && info.Network() != f.cfg.Network {
			return false, fmt.Errorf("follow: the node is on %s (%q), the index holds %s", info.Network(), info.Chain, f.cfg.Network)
		}
		*checked = true
	}
	nodeBlocks := info.Blocks + 1
	if err := f.reconcile(ctx, nodeBlocks); err != nil {
		return false, err
	}
	_, have := f.ix.Tip()
	if int64(have) >= nodeBlocks {
		return true, f.ix.Commit()
	}
	return false, f.fetch(ctx, int64(have), nodeBlocks)
}

// reconcile finds the highest block the index shares with the node's best
// chain and undoes the index's blocks above it.
func (f *follower) reconcile(ctx context.Context, nodeBlocks int64) error {
	_, have := f.ix.Tip()
	if have == 0 {
		return nil
	}
	top := min(int64(have), nodeBlocks) - 1
	h := top
	for ; h >= 0; h-- {
		nh, err := f.cfg.Node.BlockHash(ctx, h)
		if err != nil {
			return err
		}
		if nh == f.ix.BlockHash(uint32(h)) {
			break
		}
		if int64(have)-1-h > int64(f.ix.UndoDepth()) {
			return fmt.Errorf("follow: the node's chain leaves the index's more than %d blocks below its tip (height %d): %w",
				f.ix.UndoDepth(), have-1, chainindex.ErrTooDeep)
		}
	}
	if h == int64(have)-1 {
		return nil // the index's tip is on the node's chain
	}
	if h == top && nodeBlocks < int64(have) {
		// The node is behind the index on the same chain (still syncing,
		// or restarted from an older copy): wait for it.
		f.cfg.Logger.Info("node behind the index", "node_height", nodeBlocks-1, "index_height", have-1)
		return nil
	}
	old := f.ix.BlockHash(have - 1)
	if err := f.ix.Rewind(uint32(h + 1)); err != nil {
		return fmt.Errorf("follow: undoing blocks above height %d: %w", h, err)
	}
	undone := int(int64(have) - 1 - h)
	f.st.Reorgs++
	f.st.Undone += undone
	f.cfg.Logger.Warn("reorganisation", "fork_height", h, "undone_blocks", undone, "old_tip", old.String())
	return nil
}

type fetched struct {
	height int64
	hash   chainhash.Hash
	raw    []byte
	err    error
}

// fetch indexes blocks [from, to) of the node's best chain, fetching up to
// Prefetch ahead. A block that does not connect (the node reorganised
// meanwhile) ends the pass early; the next step reconciles.
func (f *follower) fetch(ctx context.Context, from, to int64) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	out := make(chan fetched, f.cfg.Prefetch)
	go func() {
		defer close(out)
		for h := from; h < to; h++ {
			r := fetched{height: h}
			r.hash, r.err = f.cfg.Node.BlockHash(ctx, h)
			if r.err == nil {
				r.raw, r.err = f.cfg.Node.Block(ctx, r.hash)
			}
			select {
			case out <- r:
			case <-ctx.Done():
				return
			}
			if r.err != nil {
				return
			}
		}
	}()
	for r := range out {
		if r.err != nil {
			if errors.Is(r.err, btcrpc.ErrNotFound) {
				return nil // the node's chain changed under us
			}
			return r.err
		}
		if err := f.blk.Parse(r.raw); err != nil {
			return fmt.Errorf("follow: block %s at height %d from the node: %w", r.hash, r.height, err)
		}
		if got := f.blk.Hash(); got != r.hash {
			return fmt.Errorf("follow: the node sent block %s when asked for %s (height %d)", got, r.hash, r.height)
		}
		if err := f.ix.AddBlock(&f.blk); err != nil {
			if errors.Is(err, chainindex.ErrNotConnected) {
				// Either the node reorganised since it named this block,
				// and the next step reconciles, or it serves a chain that
				// does not hold together.
				prev, perr := f.cfg.Node.BlockHash(ctx, r.height-1)
				if perr != nil {
					return perr
				}
				if tip, _ := f.ix.Tip(); prev == tip {
					return fmt.Errorf("follow: the node's block %s at height %d does not connect to its block %s at height %d",
						r.hash, r.height, prev, r.height-1)
				}
				return nil
			}
			return fmt.Errorf("follow: height %d: %w", r.height, err)
		}
		f.st.Blocks++
		f.st.Txs += len(f.blk.Txs)
		if to-r.height <= NearTip {
			if err := f.ix.Commit(); err != nil {
				return err
			}
			f.cfg.Logger.Info("block", "height", r.height, "hash", r.hash.String(), "txs", len(f.blk.Txs))
		}
		if f.cfg.Progress != nil {
			f.cfg.Progress(r.height+1, to, uint64(f.st.Txs))
		}
	}
	return ctx.Err()
}
