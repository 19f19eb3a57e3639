package chainindex

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"syscall"
	"time"

	"github.com/aead/siphash"
	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/entente/entente/internal/chain"
	"github.com/entente/entente/internal/cluster"
)

// Errors callers can check.
var (
	// ErrCorrupt: the index files contradict each other or their format.
	ErrCorrupt = errors.New("chainindex: index is corrupt")
	// ErrNotConnected: a block's previous block is not the index's tip.
	ErrNotConnected = errors.New("chainindex: block does not connect to the tip")
	// ErrMissingOutput: an input spends an output the index does not have.
	ErrMissingOutput = errors.New("chainindex: input spends an unknown output")
	// ErrDoubleSpend: an input spends an output already spent.
	ErrDoubleSpend = errors.New("chainindex: output spent twice")
	// ErrNotFound: no such address or transaction in the index.
	ErrNotFound = errors.New("chainindex: not found")
	// ErrFull: an id space of 2^32-1 is exhausted.
	ErrFull = errors.New("chainindex: index full")
	// ErrReadOnly: a write on an index opened read-only.
	ErrReadOnly = errors.New("chainindex: index opened read-only")
	// ErrTooDeep: a reorganisation deeper than the undo data kept.
	ErrTooDeep = errors.New("chainindex: reorganisation deeper than the undo data kept")
)

// Record widths of the column files, in bytes.
const (
	blockWidth   = 32 + 4 + 4
	txWidth      = 32 + 4 + 4
	inWidth      = 4
	outWidth     = 8 + 4 + 4
	refusedWidth = 6 * 4

	none = ^uint32(0) // no address, or the coinbase input's missing output
)

// Config configures [Open].
type Config struct {
	// Dir is the index directory, the node's DIR/chain. Required; created
	// if missing.
	Dir string
	// Network gives address encodings. Required; an index holds one
	// network and refuses another.
	Network chain.Network
	// ReadOnly opens for queries: nothing is written or repaired, and
	// several readers may run beside one writer.
	ReadOnly bool
	// ClusterLimit is the guard of [cluster.Clusterer.Limit]. Optional;
	// default cluster.DefaultLimit.
	ClusterLimit int
	// CommitEvery is the number of blocks between commits. Optional;
	// default 1000 (and a commit whenever 500,000 transactions wait).
	CommitEvery int
	// UndoDepth is how many of the last blocks [Index.Rewind] can undo, for
	// reorganisations. Optional; default DefaultUndoDepth.
	UndoDepth int
	// Rand seeds the hash tables when the index is created. Optional;
	// default crypto/rand.
	Rand io.Reader
	// Logger reports progress. Optional; default discards.
	Logger *slog.Logger
	// Now gives the times of progress reports. Optional; default time.Now.
	Now func() time.Time
	// Progress, when set, is called by [Index.Ingest] after every block
	// with the blocks indexed so far (the index's block count), the blocks
	// of the best chain in the block files and the transactions indexed by
	// this Ingest; it replaces the periodic progress log lines, for a
	// progress bar on a terminal. Optional; default nil (log lines).
	Progress func(blocksDone, blocksTotal int, txs uint64)
}

// Index is an open index. Its methods are not safe for concurrent use.
type Index struct {
	cfg Config
	dir string
	ck  checkpoint
	key [16]byte

	blocks, txs, fp, ins, outs, addrKey, addrEnd, refused *column
	spent, last, parent, size, next                       *column
	txidTab, addrTab                                      *table

	clusterer   cluster.Clusterer
	coinjoins   uint64
	tip         chainhash.Hash
	lock        *os.File
	located     map[chainhash.Hash]*located // during Ingest
	fault       error                       // of a block file, during Ingest
	pendingTxs  int
	pendingBlks int

	// undo holds what undoing each of the last UndoDepth blocks needs,
	// oldest first; the last is being recorded while a block is added.
	undo []undoBlock
	// recording: parent and size writes below undoAddrs are recorded.
	recording bool
	undoAddrs uint32

	// Per-transaction scratch.
	lk       lookups // of a block added by AddBlock
	sink     uint32  // of touch's loads
	inAddrs  []uint32
	outVals  []int64
	refusals []cluster.Refusal
}

// mutable lists the columns changed in place, in journal order.
func (ix *Index) mutable() []*column {
	return []*column{ix.spent, ix.last, ix.parent, ix.size, ix.next}
}

func (ix *Index) columns() []*column {
	return []*column{ix.blocks, ix.txs, ix.fp, ix.ins, ix.outs, ix.addrKey, ix.addrEnd, ix.refused,
		ix.spent, ix.last, ix.parent, ix.size, ix.next}
}

// Open opens the index in cfg.Dir, creating it if needed. A writer
// recovers from a crash here: files are cut back to the last checkpoint
// and its journal is replayed, so ingest resumes at the committed tip.
func Open(ctx context.Context, cfg Config) (*Index, error) {
	if cfg.Dir == "" || cfg.Network.Name == "" {
		return nil, errors.New("chainindex: Config.Dir and Config.Network are required")
	}
	if cfg.CommitEvery <= 0 {
		cfg.CommitEvery = 1000
	}
	if cfg.UndoDepth <= 0 {
		cfg.UndoDepth = DefaultUndoDepth
	}
	if cfg.Rand == nil {
		cfg.Rand = rand.Reader
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	ix := &Index{cfg: cfg, dir: cfg.Dir}
	ix.clusterer.Limit = cfg.ClusterLimit
	ix.clusterer.Sets = sets{ix}
	if err := ix.open(); err != nil {
		ix.Close()
		return nil, err
	}
	return ix, nil
}

func (ix *Index) open() error {
	if !ix.cfg.ReadOnly {
		if err := os.MkdirAll(ix.dir, 0o755); err != nil {
			return err
		}
		lock, err := os.OpenFile(filepath.Join(ix.dir, "lock"), os.O_RDWR|os.O_CREATE, 0o644)
		if err != nil {
			return err
		}
		ix.lock = lock
		if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
			return fmt.Errorf("chainindex: %s is in use by another ingest: %w", ix.dir, err)
		}
	}
	ck, ok, err := readCheckpoint(ix.dir)
	if err != nil {
		return err
	}
	if !ok {
		if ix.cfg.ReadOnly {
			return fmt.Errorf("%w: no index in %s", ErrNotFound, ix.dir)
		}
		if _, err := io.ReadFull(ix.cfg.Rand, ck.seed[:]); err != nil {
			return fmt.Errorf("chainindex: seed: %w", err)
		}
		copy(ck.network[:], ix.cfg.Network.Name)
		if err := writeAtomic(ix.dir, "checkpoint", ck.marshal()); err != nil {
			return err
		}
	}
	if name := string(trimZero(ck.network[:])); name != ix.cfg.Network.Name {
		return fmt.Errorf("chainindex: %s holds %s, not %s", ix.dir, name, ix.cfg.Network.Name)
	}
	if ck.blocks > uint64(none) || ck.txs > uint64(none) || ck.outputs > uint64(none) || ck.addrs > uint64(none) || ck.inputs > uint64(none) {
		return fmt.Errorf("%w: checkpoint counts out of range", ErrCorrupt)
	}
	ix.ck, ix.key, ix.tip = ck, ck.seed, ck.tip
	ix.clusterer.Merges, ix.coinjoins = ck.merges, ck.coinjoins

	open := func(name string, width int, n uint64, mutable ...bool) *column {
		if err != nil {
			return nil
		}
		var c *column
		c, err = openColumn(filepath.Join(ix.dir, name), width, n, ix.cfg.ReadOnly, len(mutable) > 0)
		return c
	}
	ix.blocks = open("block.col", blockWidth, ck.blocks)
	ix.txs = open("tx.col", txWidth, ck.txs)
	ix.fp = open("tx.fp", 1, ck.txs)
	ix.ins = open("in.col", inWidth, ck.inputs)
	ix.outs = open("out.col", outWidth, ck.outputs)
	ix.addrKey = open("addr.key", 1, ck.addrBytes)
	ix.addrEnd = open("addr.end", 8, ck.addrs)
	ix.refused = open("refused.col", refusedWidth, ck.refused)
	ix.spent = open("out.spent", 4, ck.outputs, true)
	ix.last = open("addr.last", 4, ck.addrs, true)
	ix.parent = open("addr.parent", 4, ck.addrs, true)
	ix.size = open("addr.size", 4, ck.addrs, true)
	ix.next = open("addr.next", 4, ck.addrs, true)
	if err != nil {
		return err
	}
	if err := ix.replayJournal(); err != nil {
		return err
	}
	ix.txidTab, err = openTable(filepath.Join(ix.dir, "txid.ht"), ck.txidEntries, uint32(ck.txs), uint32(ck.txidSynced), txKeys{ix}, ix.cfg.ReadOnly)
	if err != nil {
		return err
	}
	ix.addrTab, err = openTable(filepath.Join(ix.dir, "addr.ht"), ck.addrs, uint32(ck.addrs), uint32(ck.addrSynced), addrKeys{ix}, ix.cfg.ReadOnly)
	if err != nil {
		return err
	}
	return nil
}

// replayJournal applies the journal of the last commit, in case the crash
// came between the checkpoint and the in-place updates. A reader, which
// must not write, keeps the updates in memory instead.
func (ix *Index) replayJournal() error {
	if ix.ck.journalLen == 0 {
		return nil
	}
	path := filepath.Join(ix.dir, "journal")
	if fi, err := os.Stat(path); err != nil || uint64(fi.Size()) != ix.ck.journalLen {
		return fmt.Errorf("%w: journal missing or not of the checkpoint's length %d", ErrCorrupt, ix.ck.journalLen)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("%w: journal: %v", ErrCorrupt, err)
	}
	if uint64(len(b)) != ix.ck.journalLen || sha256.Sum256(b) != ix.ck.journalSum {
		return fmt.Errorf("%w: journal does not match the checkpoint", ErrCorrupt)
	}
	redo, undo, err := splitJournal(b, ix.ck.generation)
	if err != nil {
		return err
	}
	if !ix.cfg.ReadOnly {
		if ix.undo, err = parseUndo(undo, ix.cfg.UndoDepth); err != nil {
			return err
		}
		return applyJournal(redo, ix.mutable())
	}
	cols := ix.mutable()
	for p := redo; len(p) >= journalRec; p = p[journalRec:] {
		ci, i := int(p[0]), binary.LittleEndian.Uint32(p[1:])
		if ci >= len(cols) || uint64(i) >= cols[ci].n {
			return fmt.Errorf("%w: journal record out of range", ErrCorrupt)
		}
		cols[ci].over[i] = binary.LittleEndian.Uint32(p[5:])
	}
	return nil
}

func trimZero(b []byte) []byte {
	for len(b) > 0 && b[len(b)-1] == 0 {
		b = b[:len(b)-1]
	}
	return b
}

// Close closes the index without committing: blocks added since the last
// commit are dropped, as if the process had died. Call Commit first.
func (ix *Index) Close() error {
	var errs []error
	for _, c := range ix.columns() {
		if c != nil {
			errs = append(errs, c.close())
		}
	}
	for _, t := range []*table{ix.txidTab, ix.addrTab} {
		if t != nil {
			errs = append(errs, t.close())
		}
	}
	if ix.lock != nil {
		errs = append(errs, ix.lock.Close())
	}
	return errors.Join(errs...)
}

// Commit makes everything added so far durable: column tails are appended
// and synced, hash tables written back, the journal of in-place updates
// written, then the checkpoint replaced atomically (the commit point),
// then the journal applied. After an error the Index must be closed and
// opened again, which recovers the last commit.
func (ix *Index) Commit() error {
	return ix.commit(true)
}

// tableLag is how far, in ids, a hash table file may lag behind the
// columns between the commits of a long ingest: a sixteenth of the table,
// at least 2^20. Open puts the missing ids back from the columns (a
// writer) or lists them beside the table (a reader: at 100,000,000
// transactions about 19,000,000 ids, 300 MB, on its first lookup of a
// recent one), so the lag bounds that work; in exchange a commit does not
// write back the pages of tables where every page changed.
func tableLag(ids uint64) uint64 {
	return max(1<<20, ids/16)
}

// commit commits; the hash tables are written back when all is set, when
// they grew, or when they lag too far.
func (ix *Index) commit(all bool) error {
	if ix.cfg.ReadOnly {
		return ErrReadOnly
	}
	for _, c := range ix.columns() {
		if err := c.flushTail(); err != nil {
			return err
		}
	}
	ck := ix.ck
	for _, t := range []struct {
		t      *table
		ids    uint64
		synced *uint64
	}{{ix.txidTab, ix.txs.len(), &ck.txidSynced}, {ix.addrTab, ix.addrEnd.len(), &ck.addrSynced}} {
		*t.synced = min(*t.synced, t.ids)
		if !all && !t.t.whole && t.ids-*t.synced < tableLag(t.ids) {
			continue
		}
		if err := t.t.sync(); err != nil {
			return err
		}
		*t.synced = t.ids
	}
	// A table rewritten whole was renamed into place; make that durable too.
	if err := syncDir(ix.dir); err != nil {
		return err
	}
	ck.generation++
	ck.blocks, ck.txs, ck.inputs, ck.outputs = ix.blocks.len(), ix.txs.len(), ix.ins.len(), ix.outs.len()
	ck.addrs, ck.addrBytes, ck.refused = ix.addrEnd.len(), ix.addrKey.len(), ix.refused.len()
	ck.txidEntries, ck.merges, ck.coinjoins, ck.tip = ix.txidTab.entries, ix.clusterer.Merges, ix.coinjoins, ix.tip
	journal := marshalJournal(ck.generation, ix.mutable(), ix.undo)
	ck.journalLen, ck.journalSum = uint64(len(journal)), sha256.Sum256(journal)
	if err := writeAtomic(ix.dir, "journal", journal); err != nil {
		return err
	}
	if err := writeAtomic(ix.dir, "checkpoint", ck.marshal()); err != nil {
		return err
	}
	ix.ck = ck
	redo, _, err := splitJournal(journal, ck.generation)
	if err != nil {
		return err
	}
	if err := applyJournal(redo, ix.mutable()); err != nil {
		return err
	}
	for _, c := range ix.columns() {
		if err := c.committed(); err != nil {
			return err
		}
	}
	ix.pendingTxs, ix.pendingBlks = 0, 0
	return nil
}

// rollback drops everything since the last commit, after a block failed
// half way.
func (ix *Index) rollback() error {
	for _, c := range ix.columns() {
		c.discard()
	}
	ix.tip, ix.clusterer.Merges, ix.coinjoins = ix.ck.tip, ix.ck.merges, ix.ck.coinjoins
	ix.pendingTxs, ix.pendingBlks = 0, 0
	ix.recording = false
	if err := ix.loadUndo(); err != nil {
		return err
	}
	// The tables hold the committed ids where they were, and the ids
	// added since, which go.
	if err := ix.txidTab.truncate(uint32(ix.ck.txs), ix.ck.txidEntries); err != nil {
		return err
	}
	return ix.addrTab.truncate(uint32(ix.ck.addrs), ix.ck.addrs)
}

type txKeys struct{ ix *Index }

func (k txKeys) hash(id uint32) uint64 { return siphash.Sum64(k.ix.txs.at(uint64(id))[:32], &k.ix.key) }
func (k txKeys) equal(a, b uint32) bool {
	return string(k.ix.txs.at(uint64(a))[:32]) == string(k.ix.txs.at(uint64(b))[:32])
}

type addrKeys struct{ ix *Index }

func (k addrKeys) hash(id uint32) uint64 { return siphash.Sum64(k.ix.addressKey(id), &k.ix.key) }
func (k addrKeys) equal(a, b uint32) bool {
	return string(k.ix.addressKey(a)) == string(k.ix.addressKey(b))
}

// addressKey returns the key of address id.
func (ix *Index) addressKey(id uint32) []byte {
	var start uint64
	if id > 0 {
		start = binary.LittleEndian.Uint64(ix.addrEnd.at(uint64(id - 1)))
	}
	end := binary.LittleEndian.Uint64(ix.addrEnd.at(uint64(id)))
	if end < start || end-start > maxKey || end > ix.addrKey.len() {
		return nil // corrupt; callers treat as no match
	}
	if start >= ix.addrKey.n {
		o := start - ix.addrKey.n
		return ix.addrKey.tail[o : o+end-start]
	}
	if end > ix.addrKey.n {
		return nil
	}
	return ix.addrKey.mm[start:end]
}
