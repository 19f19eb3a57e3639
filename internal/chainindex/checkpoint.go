package chainindex

import (
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

const (
	checkpointMagic = "ENTCKPT4"
	journalMagic    = "ENTJRNL2"
	checkpointSize  = 8 + 8*14 + 16 + 32 + 32 + 32 + 32
	// Format 3 lacked the synced bounds of the hash tables, whose files
	// were then always complete.
	checkpoint3Size = checkpointSize - 2*8
)

// checkpoint is the committed state: everything past it is discarded on
// open. See the package doc for the byte layout.
type checkpoint struct {
	generation  uint64
	blocks      uint64
	txs         uint64
	inputs      uint64
	outputs     uint64
	addrs       uint64
	addrBytes   uint64 // length of addr.key
	txidEntries uint64 // txids in the txid table (duplicates are not)
	merges      uint64
	refused     uint64
	coinjoins   uint64
	journalLen  uint64
	txidSynced  uint64 // txid.ht holds every txid of a tx id below this
	addrSynced  uint64 // addr.ht holds every address id below this
	seed        [16]byte
	network     [32]byte
	tip         [32]byte
	journalSum  [32]byte
}

func (c *checkpoint) marshal() []byte {
	b := make([]byte, 0, checkpointSize)
	b = append(b, checkpointMagic...)
	for _, v := range []uint64{c.generation, c.blocks, c.txs, c.inputs, c.outputs, c.addrs,
		c.addrBytes, c.txidEntries, c.merges, c.refused, c.coinjoins, c.journalLen, c.txidSynced, c.addrSynced} {
		b = binary.LittleEndian.AppendUint64(b, v)
	}
	b = append(b, c.seed[:]...)
	b = append(b, c.network[:]...)
	b = append(b, c.tip[:]...)
	b = append(b, c.journalSum[:]...)
	sum := sha256.Sum256(b)
	return append(b, sum[:]...)
}

func unmarshalCheckpoint(b []byte) (checkpoint, error) {
	var c checkpoint
	if len(b) >= 8 && (string(b[:8]) == "ENTCKPT1" || string(b[:8]) == "ENTCKPT2") {
		return c, fmt.Errorf("%w: the index was written by an earlier version of Entente (format %c); delete its directory and ingest again", ErrCorrupt, b[7])
	}
	v3 := len(b) == checkpoint3Size && string(b[:8]) == "ENTCKPT3"
	if !v3 && (len(b) != checkpointSize || string(b[:8]) != checkpointMagic) {
		return c, fmt.Errorf("%w: checkpoint: not an index checkpoint (%d bytes)", ErrCorrupt, len(b))
	}
	if sum := sha256.Sum256(b[:len(b)-32]); string(sum[:]) != string(b[len(b)-32:]) {
		return c, fmt.Errorf("%w: checkpoint: checksum mismatch", ErrCorrupt)
	}
	p := b[8:]
	fields := []*uint64{&c.generation, &c.blocks, &c.txs, &c.inputs, &c.outputs, &c.addrs,
		&c.addrBytes, &c.txidEntries, &c.merges, &c.refused, &c.coinjoins, &c.journalLen, &c.txidSynced, &c.addrSynced}
	if v3 {
		fields = fields[:12]
	}
	for _, v := range fields {
		*v = binary.LittleEndian.Uint64(p)
		p = p[8:]
	}
	if v3 {
		c.txidSynced, c.addrSynced = c.txs, c.addrs
	}
	p = p[copy(c.seed[:], p):]
	p = p[copy(c.network[:], p):]
	p = p[copy(c.tip[:], p):]
	copy(c.journalSum[:], p)
	return c, nil
}

// readCheckpoint returns the checkpoint of dir, and false if there is none.
func readCheckpoint(dir string) (checkpoint, bool, error) {
	f, err := os.Open(filepath.Join(dir, "checkpoint"))
	if errors.Is(err, fs.ErrNotExist) {
		return checkpoint{}, false, nil
	}
	if err != nil {
		return checkpoint{}, false, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, checkpointSize+1))
	if err != nil {
		return checkpoint{}, false, err
	}
	if len(b) > checkpointSize {
		return checkpoint{}, false, fmt.Errorf("%w: checkpoint: %d bytes", ErrCorrupt, len(b))
	}
	c, err := unmarshalCheckpoint(b)
	return c, err == nil, err
}

// writeAtomic replaces dir/name by b: write a temporary file, sync it,
// rename it over name, sync the directory.
func writeAtomic(dir, name string, b []byte) error {
	tmp := filepath.Join(dir, name+".tmp")
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return err
	}
	_, err = f.Write(b)
	if err == nil {
		err = f.Sync()
	}
	if e := f.Close(); err == nil {
		err = e
	}
	if err == nil {
		err = os.Rename(tmp, filepath.Join(dir, name))
	}
	if err == nil {
		err = syncDir(dir)
	}
	if err != nil {
		return fmt.Errorf("chainindex: write %s: %w", name, err)
	}
	return nil
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if e := d.Close(); err == nil {
		err = e
	}
	return err
}

// A journal record: column number (1 byte), record index, value.
const journalRec = 1 + 4 + 4

// marshalJournal lists the in-place updates of a commit, then the undo
// data of the last blocks; generation ties it to the checkpoint that
// commits it.
func marshalJournal(generation uint64, cols []*column, undo []undoBlock) []byte {
	n, undoBytes := 0, 8
	for _, c := range cols {
		n += len(c.over)
	}
	for i := range undo {
		undoBytes += undoHeader + len(undo[i].recs)
	}
	b := make([]byte, 0, 24+n*journalRec+undoBytes)
	b = append(b, journalMagic...)
	b = binary.LittleEndian.AppendUint64(b, generation)
	b = binary.LittleEndian.AppendUint64(b, uint64(n))
	for ci, c := range cols {
		for i, v := range c.over {
			b = append(b, byte(ci))
			b = binary.LittleEndian.AppendUint32(b, i)
			b = binary.LittleEndian.AppendUint32(b, v)
		}
	}
	return appendUndo(b, undo)
}

// splitJournal checks a journal's header and returns its in-place updates
// (whole records) and its undo section.
func splitJournal(b []byte, generation uint64) (redo, undo []byte, err error) {
	if len(b) < 24 || string(b[:8]) != journalMagic || binary.LittleEndian.Uint64(b[8:]) != generation {
		return nil, nil, fmt.Errorf("%w: journal of generation %d is malformed", ErrCorrupt, generation)
	}
	n := binary.LittleEndian.Uint64(b[16:])
	if n > uint64(len(b)-24)/journalRec {
		return nil, nil, fmt.Errorf("%w: journal of generation %d is shorter than its %d updates", ErrCorrupt, generation, n)
	}
	end := 24 + n*journalRec
	return b[24:end], b[end:], nil
}

// applyJournal writes a journal's in-place updates into the column files
// and syncs them. Applying them twice is harmless.
func applyJournal(redo []byte, cols []*column) error {
	var buf [4]byte
	for p := redo; len(p) >= journalRec; p = p[journalRec:] {
		ci, i := int(p[0]), binary.LittleEndian.Uint32(p[1:])
		if ci >= len(cols) || cols[ci].width != 4 || uint64(i) >= cols[ci].n {
			return fmt.Errorf("%w: journal updates record %d of column %d, which is not committed", ErrCorrupt, i, ci)
		}
		c := cols[ci]
		if c.writable && uint64(len(c.mm)) >= (uint64(i)+1)*4 {
			copy(c.mm[4*uint64(i):], p[5:9])
			continue
		}
		copy(buf[:], p[5:9])
		if _, err := c.f.WriteAt(buf[:], int64(i)*4); err != nil {
			return fmt.Errorf("chainindex: journal replay into %s: %w", c.name, err)
		}
	}
	for _, c := range cols {
		// fsync also writes back the pages dirtied through the mapping.
		if err := c.f.Sync(); err != nil {
			return err
		}
	}
	return nil
}
