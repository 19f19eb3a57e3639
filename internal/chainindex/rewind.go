package chainindex

import (
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"

	"github.com/btcsuite/btcd/chaincfg/chainhash"
)

// DefaultUndoDepth is the default of Config.UndoDepth: a day of blocks.
// Bitcoin's deepest reorganisations since 2013 were a handful of blocks.
const DefaultUndoDepth = 144

// undoBlock is what undoing one block needs that the columns do not hold:
// the counts before it and the old values of the union-find forest
// entries it changed. Spent marks and address list heads are undone from
// the columns themselves (in.col names what was spent; out.col links each
// output to its address's previous one).
type undoBlock struct {
	hash chainhash.Hash
	// Counts before the block.
	addrs, addrBytes, refused, txidEntries, merges, coinjoins uint64
	// recs: column (2 addr.parent, 3 addr.size, 4 addr.next) byte | address id uint32 |
	// old value uint32, in the order written.
	recs []byte
}

const undoHeader = 32 + 6*8 + 8

// beginUndo starts recording the undo data of the block about to be
// added, dropping the oldest beyond the depth kept.
func (ix *Index) beginUndo() {
	var recs []byte
	if len(ix.undo) >= ix.cfg.UndoDepth {
		recs = ix.undo[0].recs[:0]
		copy(ix.undo, ix.undo[1:])
		ix.undo = ix.undo[:len(ix.undo)-1]
	}
	ix.undo = append(ix.undo, undoBlock{
		addrs: ix.addrEnd.len(), addrBytes: ix.addrKey.len(), refused: ix.refused.len(),
		txidEntries: ix.txidTab.entries, merges: ix.clusterer.Merges, coinjoins: ix.coinjoins,
		recs: recs,
	})
	ix.recording, ix.undoAddrs = true, uint32(ix.addrEnd.len())
}

// record notes the old value of a forest entry about to change. Addresses
// new in the block need none: undoing the block removes them.
func (ix *Index) record(col byte, id uint32, c *column) {
	if !ix.recording || id >= ix.undoAddrs {
		return
	}
	u := &ix.undo[len(ix.undo)-1]
	u.recs = append(u.recs, col)
	u.recs = binary.LittleEndian.AppendUint32(u.recs, id)
	u.recs = binary.LittleEndian.AppendUint32(u.recs, c.u32(id))
}

func appendUndo(b []byte, undo []undoBlock) []byte {
	b = binary.LittleEndian.AppendUint64(b, uint64(len(undo)))
	for i := range undo {
		u := &undo[i]
		b = append(b, u.hash[:]...)
		for _, v := range []uint64{u.addrs, u.addrBytes, u.refused, u.txidEntries, u.merges, u.coinjoins} {
			b = binary.LittleEndian.AppendUint64(b, v)
		}
		b = binary.LittleEndian.AppendUint64(b, uint64(len(u.recs)/journalRec))
		b = append(b, u.recs...)
	}
	return b
}

// parseUndo reads the undo section of a journal, keeping at most depth
// blocks (the newest).
func parseUndo(b []byte, depth int) ([]undoBlock, error) {
	bad := func(what string) error { return fmt.Errorf("%w: journal undo data: %s", ErrCorrupt, what) }
	if len(b) < 8 {
		return nil, bad("no block count")
	}
	n := binary.LittleEndian.Uint64(b)
	b = b[8:]
	if n > uint64(len(b))/undoHeader {
		return nil, bad("block count past the end")
	}
	undo := make([]undoBlock, 0, min(n, uint64(depth)))
	for range n {
		if len(b) < undoHeader {
			return nil, bad("truncated block")
		}
		var u undoBlock
		copy(u.hash[:], b)
		p := b[32:]
		for _, v := range []*uint64{&u.addrs, &u.addrBytes, &u.refused, &u.txidEntries, &u.merges, &u.coinjoins} {
			*v = binary.LittleEndian.Uint64(p)
			p = p[8:]
		}
		k := binary.LittleEndian.Uint64(p)
		p = p[8:]
		if k > uint64(len(p))/journalRec {
			return nil, bad("record count past the end")
		}
		u.recs = append([]byte(nil), p[:k*journalRec]...)
		for r := u.recs; len(r) > 0; r = r[journalRec:] {
			if r[0] < 2 || r[0] > 4 {
				return nil, bad(fmt.Sprintf("record for column %d", r[0]))
			}
		}
		b = p[k*journalRec:]
		if len(undo) == depth {
			copy(undo, undo[1:])
			undo = undo[:depth-1]
		}
		undo = append(undo, u)
	}
	if len(b) != 0 {
		return nil, bad(fmt.Sprintf("%d bytes after the last block", len(b)))
	}
	return undo, nil
}

// loadUndo reads the undo data of the last commit back, after a rollback.
func (ix *Index) loadUndo() error {
	ix.undo = nil
	if ix.ck.journalLen == 0 {
		return nil
	}
	b, err := os.ReadFile(filepath.Join(ix.dir, "journal"))
	if err != nil {
		return fmt.Errorf("%w: journal: %v", ErrCorrupt, err)
	}
	_, undo, err := splitJournal(b, ix.ck.generation)
	if err != nil {
		return err
	}
	ix.undo, err = parseUndo(undo, ix.cfg.UndoDepth)
	return err
}

// UndoDepth returns how many blocks [Index.Rewind] can undo now.
func (ix *Index) UndoDepth() int { return len(ix.undo) }

// Rewind undoes the blocks past the first keep, for a reorganisation: the
// index then ends at height keep-1, exactly as if the blocks above had
// never been added, clusters included, and the change is committed. It
// undoes at most [Index.UndoDepth] blocks (ErrTooDeep beyond). Everything
// added before is committed first.
func (ix *Index) Rewind(keep uint32) error {
	if ix.cfg.ReadOnly {
		return ErrReadOnly
	}
	n := ix.blocks.len()
	if uint64(keep) >= n {
		return nil
	}
	drop := int(n - uint64(keep))
	if drop > len(ix.undo) {
		return fmt.Errorf("%w: undoing %d blocks down to height %d needs their undo data; the index keeps it for the last %d",
			ErrTooDeep, drop, int64(keep)-1, len(ix.undo))
	}
	if err := ix.Commit(); err != nil {
		return err
	}
	first := ix.undo[len(ix.undo)-drop]
	for i := range drop {
		h := uint32(n) - 1 - uint32(i)
		u := &ix.undo[len(ix.undo)-1-i]
		if ix.BlockHash(h) != u.hash {
			return fmt.Errorf("%w: undo data of height %d names block %s, the index holds %s", ErrCorrupt, h, u.hash, ix.BlockHash(h))
		}
		if err := ix.undoBlock(h, u); err != nil {
			return err
		}
	}
	tx0 := ix.blockFirstTx(keep)
	in0 := binary.LittleEndian.Uint32(ix.txs.at(uint64(tx0))[36:])
	out0 := binary.LittleEndian.Uint32(ix.txs.at(uint64(tx0))[32:])
	tip := chainhash.Hash{}
	if keep > 0 {
		tip = ix.BlockHash(keep - 1)
	}
	for _, cut := range []struct {
		c *column
		n uint64
	}{
		{ix.blocks, uint64(keep)}, {ix.txs, uint64(tx0)}, {ix.fp, uint64(tx0)},
		{ix.ins, uint64(in0)}, {ix.outs, uint64(out0)}, {ix.spent, uint64(out0)},
		{ix.addrKey, first.addrBytes}, {ix.addrEnd, first.addrs}, {ix.last, first.addrs},
		{ix.parent, first.addrs}, {ix.size, first.addrs}, {ix.next, first.addrs}, {ix.refused, first.refused},
	} {
		if err := cut.c.truncate(cut.n); err != nil {
			return err
		}
	}
	ix.tip, ix.clusterer.Merges, ix.coinjoins = tip, first.merges, first.coinjoins
	ix.txidTab.entries, ix.addrTab.entries = first.txidEntries, first.addrs
	ix.undo = ix.undo[:len(ix.undo)-drop]
	if err := ix.Commit(); err != nil {
		return err
	}
	// After the commit point: a crash before here leaves slots of dropped
	// ids, which Open scrubs the same way.
	for _, t := range []struct {
		t   *table
		max uint64
	}{{ix.txidTab, uint64(tx0)}, {ix.addrTab, first.addrs}} {
		if got := t.t.scrub(uint32(t.max)); got != t.t.entries {
			return fmt.Errorf("%w: %s holds %d entries after the rewind, want %d", ErrCorrupt, t.t.path, got, t.t.entries)
		}
		if err := t.t.sync(); err != nil {
			return err
		}
	}
	return nil
}

// undoBlock reverses the in-place updates of block h: its inputs' spent
// marks, its outputs' address list heads (newest first) and its forest
// writes (last first). Appended records are cut by the caller.
func (ix *Index) undoBlock(h uint32, u *undoBlock) error {
	tx0, tx1 := ix.blockFirstTx(h), ix.blockFirstTx(h+1)
	in0 := binary.LittleEndian.Uint32(ix.txs.at(uint64(tx0))[36:])
	out0 := binary.LittleEndian.Uint32(ix.txs.at(uint64(tx0))[32:])
	in1, out1 := uint32(ix.ins.len()), uint32(ix.outs.len())
	if uint64(tx1) < ix.txs.len() {
		in1 = binary.LittleEndian.Uint32(ix.txs.at(uint64(tx1))[36:])
		out1 = binary.LittleEndian.Uint32(ix.txs.at(uint64(tx1))[32:])
	}
	if in0 > in1 || out0 > out1 || uint64(in1) > ix.ins.len() || uint64(out1) > ix.outs.len() {
		return fmt.Errorf("%w: block %d has inputs [%d,%d) and outputs [%d,%d)", ErrCorrupt, h, in0, in1, out0, out1)
	}
	for i := in0; i < in1; i++ {
		if o := binary.LittleEndian.Uint32(ix.ins.at(uint64(i))); o != none && o < out0 {
			ix.spent.setU32(o, 0)
		}
	}
	for o := out1; o > out0; o-- {
		rec := ix.outs.at(uint64(o - 1))
		a := binary.LittleEndian.Uint32(rec[8:])
		if a != none && uint64(a) < u.addrs {
			ix.last.setU32(a, binary.LittleEndian.Uint32(rec[12:]))
		}
	}
	cols := ix.mutable()
	for r := len(u.recs); r > 0; r -= journalRec {
		p := u.recs[r-journalRec : r]
		id := binary.LittleEndian.Uint32(p[1:])
		if uint64(id) >= u.addrs {
			return fmt.Errorf("%w: undo data of block %d names address %d", ErrCorrupt, h, id)
		}
		cols[p[0]].setU32(id, binary.LittleEndian.Uint32(p[5:]))
	}
	return nil
}

// blockFirstTx returns the first transaction of height h, or the
// transaction count past the tip.
func (ix *Index) blockFirstTx(h uint32) uint32 {
	if uint64(h) >= ix.blocks.len() {
		return uint32(ix.txs.len())
	}
	return binary.LittleEndian.Uint32(ix.blocks.at(uint64(h))[36:])
}
