package chainindex

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"syscall"
)

const (
	tableMagic  = "ENTHT002"
	tableHeader = 16
	minSlots    = 1024
	// chunkShift: the writer tracks changed slots in chunks of 1024
	// (4 KiB, a page), which a sync writes back.
	chunkShift = 10
)

// keys gives a table access to the keys it maps, which live in columns.
type keys interface {
	hash(id uint32) uint64
	equal(a, b uint32) bool
}

// table is an open-addressing hash table mapping keys to ids with linear
// probing; a slot holds id+1 (0 is empty) and a tag, the top byte of the
// key's hash (0 for an empty slot), and the key is read from the id's
// column, so a slot costs 5 bytes. The tag spares reading the key of
// almost every slot probed in vain, a cache miss each.
//
// A writer keeps its slots in anonymous memory and writes the changed
// pages back only when sync is called, which a commit does when
// the table lags far enough behind the columns (see Index.commit). Every
// insert then costs a store, not a write fault on a page the kernel wrote
// back, and the file is written in runs of whole pages. The checkpoint
// records up to which id the file is complete; Open inserts the ids past
// that from the columns, in id order, which gives the slots an
// uninterrupted writer would have (see the package doc).
//
// A reader maps the file shared and read-only, and keeps the ids the file
// lacks (those between the synced bound and the committed count) in a
// sorted list of (hash, id) beside it, made on the first lookup the file
// does not answer.
type table struct {
	path     string
	f        *os.File
	mm       []byte // the mapping: a reader's of the file, header first; a writer's anonymous slots and tags
	s        []byte // the slots, 4 bytes each
	tg       []byte // the tags, a byte each
	slots    uint64
	entries  uint64
	readOnly bool

	dirty []uint64 // writer: chunks changed since the last sync, a bit each
	whole bool     // writer: the file must be rewritten whole (grown or rebuilt)
	extra []extraID
	later func() // lists extra, when a reader first needs it
	sink  uint32 // of loads made for their cache effect
}

// extraID is a reader's entry for an id its table file does not hold yet.
type extraID struct {
	h  uint64
	id uint32
}

// slotsFor keeps the load at most three quarters. Probes stay short
// enough: a probe reads a key only where the slot's tag matches, and the
// slots it passes are mostly in the line it loaded first.
func slotsFor(entries uint64) uint64 {
	s := uint64(minSlots)
	for entries > s/4*3 {
		s *= 2
	}
	return s
}

// openTable opens the table at path holding entries ids, all below maxID,
// of which the file holds at least those below synced. A writer repairs
// the file's slots after a crash and inserts the ids from synced on; a
// reader lists those beside the file.
func openTable(path string, entries uint64, maxID, synced uint32, k keys, readOnly bool) (*table, error) {
	synced = min(synced, maxID)
	t := &table{path: path, entries: entries, readOnly: readOnly}
	// A table grown past the checkpoint (by a running writer, one that
	// crashed, or before a rewind) holds the committed ids the same way:
	// they were inserted in id order.
	slots := max(slotsFor(entries), headerSlots(path))
	err := t.open(path, slots)
	if err == nil {
		if readOnly {
			// Listed on the first lookup the file cannot answer: a reader
			// that asks only for older ids never pays for the list.
			if synced < maxID {
				t.later = func() { t.listExtra(maxID, synced, k) }
			}
			return t, nil
		}
		// Every snapshot a sync wrote holds the ids below synced where an
		// uninterrupted writer puts them; the ids past it are put again in
		// order, whatever part of a later snapshot reached the disk.
		if t.fill(t.scrub(synced), synced, maxID, k) == entries {
			return t, nil
		}
		err = errors.New("entry count does not match the checkpoint")
	}
	if readOnly {
		return nil, fmt.Errorf("%w: %s: %v (an ingest repairs it)", ErrCorrupt, path, err)
	}
	t.close()
	if t, err = rebuildTable(path, entries, maxID, k); err != nil {
		return nil, err
	}
	// Readers need the file from now on.
	if err := t.sync(); err != nil {
		t.close()
		return nil, err
	}
	return t, nil
}

// headerSlots reads the slot count of a table file, 0 if unreadable.
func headerSlots(path string) uint64 {
	f, err := os.Open(path)
	if err != nil {
		return 0
	}
	defer f.Close()
	var hdr [tableHeader]byte
	if _, err := io.ReadFull(f, hdr[:]); err != nil || string(hdr[:8]) != tableMagic {
		return 0
	}
	s := binary.LittleEndian.Uint64(hdr[8:])
	if s&(s-1) != 0 || s > 1<<40 {
		return 0
	}
	return s
}

// open opens the table file: a reader maps it shared and read-only, a
// writer reads it into anonymous memory.
func (t *table) open(path string, slots uint64) error {
	flag := os.O_RDWR
	if t.readOnly {
		flag = os.O_RDONLY
	}
	f, err := os.OpenFile(path, flag, 0)
	if err != nil {
		return err
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return err
	}
	size := int64(tableHeader + 5*slots)
	if st.Size() != size {
		f.Close()
		return fmt.Errorf("size %d, want %d", st.Size(), size)
	}
	var hdr [tableHeader]byte
	if _, err := f.ReadAt(hdr[:], 0); err != nil {
		f.Close()
		return err
	}
	if string(hdr[:8]) != tableMagic || binary.LittleEndian.Uint64(hdr[8:]) != slots {
		f.Close()
		return errors.New("bad header")
	}
	if t.readOnly {
		mm, err := syscall.Mmap(int(f.Fd()), 0, int(size), syscall.PROT_READ, syscall.MAP_SHARED)
		if err != nil {
			f.Close()
			return err
		}
		t.f, t.mm, t.s, t.tg, t.slots = f, mm, mm[tableHeader:tableHeader+4*slots], mm[tableHeader+4*slots:], slots
		return nil
	}
	nt, err := newTable(path, slots)
	if err != nil {
		f.Close()
		return err
	}
	if _, err := f.ReadAt(nt.mm, tableHeader); err != nil {
		nt.close()
		f.Close()
		return err
	}
	t.f, t.mm, t.s, t.tg, t.slots, t.dirty = f, nt.mm, nt.s, nt.tg, slots, nt.dirty
	return nil
}

// newTable returns an empty writer's table in anonymous memory, to be
// written whole at its first sync. Its pages are huge where the kernel
// allows: every probe lands on a random page, and 4 KiB pages would cost
// a TLB miss on most of them.
func newTable(path string, slots uint64) (*table, error) {
	mm, err := syscall.Mmap(-1, 0, int(5*slots), syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_PRIVATE|syscall.MAP_ANON)
	if err != nil {
		return nil, fmt.Errorf("chainindex: %s: %d slots: %w", path, slots, err)
	}
	syscall.Madvise(mm, syscall.MADV_HUGEPAGE) // advice only: without it the table works the same
	return &table{path: path, mm: mm, s: mm[:4*slots], tg: mm[4*slots:], slots: slots, whole: true,
		dirty: make([]uint64, (slots>>chunkShift)/64+1)}, nil
}

// scrub empties the slots of ids at or past maxID and returns the entries
// left.
func (t *table) scrub(maxID uint32) uint64 {
	var n uint64
	for i := range t.slots {
		v := t.slot(i)
		switch {
		case v == 0:
		case v-1 >= maxID:
			t.setSlot(i, 0, 0)
		default:
			n++
		}
	}
	return n
}

// fill inserts the ids from synced to maxID into a table of n entries
// holding ids below synced, in id order, skipping an id whose key an
// earlier id holds, and returns the entries.
func (t *table) fill(n uint64, synced, maxID uint32, k keys) uint64 {
	for id := synced; id < maxID; id++ {
		h := k.hash(id)
		if _, dup := t.find(h, maxID, func(o uint32) bool { return k.equal(o, id) }); dup {
			continue
		}
		t.put(h, id)
		n++
	}
	t.entries = n
	return n
}

// listExtra lists, for a reader, the ids from synced to maxID by hash.
func (t *table) listExtra(maxID, synced uint32, k keys) {
	t.extra = make([]extraID, 0, maxID-synced)
	for id := synced; id < maxID; id++ {
		t.extra = append(t.extra, extraID{k.hash(id), id})
	}
	slices.SortFunc(t.extra, func(a, b extraID) int {
		if a.h != b.h {
			if a.h < b.h {
				return -1
			}
			return 1
		}
		return int(a.id) - int(b.id)
	})
}

func (t *table) slot(i uint64) uint32 {
	return binary.LittleEndian.Uint32(t.s[4*i:])
}

// tagOf is the tag of a key of hash h: its top byte, which the slot
// index never uses (a table has at most 2^40 slots).
func tagOf(h uint64) byte { return byte(h >> 56) }

func (t *table) setSlot(i uint64, v uint32, tag byte) {
	binary.LittleEndian.PutUint32(t.s[4*i:], v)
	t.tg[i] = tag
	c := i >> chunkShift
	t.dirty[c/64] |= 1 << (c % 64)
}

// find returns the id whose key eq accepts, probing from hash h. Ids at or
// past maxID are stale (written after the last commit by a writer that
// crashed or is still running) and count as empty.
func (t *table) find(h uint64, maxID uint32, eq func(id uint32) bool) (uint32, bool) {
	mask, tag := t.slots-1, tagOf(h)
	for i := h & mask; ; i = (i + 1) & mask {
		v := t.slot(i)
		if v == 0 || v-1 >= maxID {
			break
		}
		if t.tg[i] == tag && eq(v-1) {
			return v - 1, true
		}
	}
	if t.later != nil {
		t.later()
		t.later = nil
	}
	if len(t.extra) > 0 {
		i, _ := slices.BinarySearchFunc(t.extra, h, func(e extraID, h uint64) int {
			if e.h < h {
				return -1
			}
			if e.h > h {
				return 1
			}
			return 0
		})
		for ; i < len(t.extra) && t.extra[i].h == h; i++ {
			if id := t.extra[i].id; id < maxID && eq(id) {
				return id, true
			}
		}
	}
	return 0, false
}

// insert adds id, whose key is absent, growing the table first if needed.
func (t *table) insert(h uint64, id uint32, k keys) error {
	if t.entries+1 > t.slots/4*3 {
		if err := t.grow(k); err != nil {
			return err
		}
	}
	t.put(h, id)
	t.entries++
	return nil
}

func (t *table) put(h uint64, id uint32) {
	mask := t.slots - 1
	i := h & mask
	for t.slot(i) != 0 {
		i = (i + 1) & mask
	}
	t.setSlot(i, id+1, tagOf(h))
}

// grow doubles the table in anonymous memory; the next sync writes it
// whole. Ids are reinserted in ascending order, so the layout depends
// only on the set of ids and the size: the same as a table built in one
// go by rebuildTable. Which ids are present is read from the slots into a
// bitmap, so the keys are then read in id order, sequentially.
func (t *table) grow(k keys) error {
	var end uint32 // past the largest id
	for i := range t.slots {
		end = max(end, t.slot(i))
	}
	present := make([]uint64, end/64+1)
	for i := range t.slots {
		if v := t.slot(i); v != 0 {
			present[(v-1)/64] |= 1 << ((v - 1) % 64)
		}
	}
	nt, err := newTable(t.path, t.slots*2)
	if err != nil {
		return err
	}
	// In batches: hash the batch's keys (read in id order), load the
	// slots they land on together, then put them in id order. The loads
	// are independent, so their cache misses overlap.
	const batch = 64
	var (
		ids  [batch]uint32
		hs   [batch]uint64
		sink uint32
	)
	mask := nt.slots - 1
	for id := uint32(0); id < end; {
		n := 0
		for ; n < batch && id < end; id++ {
			if present[id/64]&(1<<(id%64)) != 0 {
				ids[n], hs[n] = id, k.hash(id)
				n++
			}
		}
		for j := range n {
			i := hs[j] & mask
			sink += nt.slot(i) + uint32(nt.tg[i])
		}
		for j := range n {
			nt.put(hs[j], ids[j])
		}
	}
	nt.sink = sink
	nt.entries = t.entries
	nt.f, t.f = t.f, nil
	t.close()
	*t = *nt
	return nil
}

// rebuildTable builds the table from the columns: ids 0..maxID-1 in order,
// skipping an id whose key an earlier id holds.
func rebuildTable(path string, entries uint64, maxID uint32, k keys) (*table, error) {
	t, err := newTable(path, slotsFor(entries))
	if err != nil {
		return nil, err
	}
	if n := t.fill(0, 0, maxID, k); n != entries {
		t.close()
		return nil, fmt.Errorf("%w: %s: rebuilt %d entries, the checkpoint says %d", ErrCorrupt, path, n, entries)
	}
	return t, nil
}

// truncate drops the ids at or past maxID, which must leave entries.
func (t *table) truncate(maxID uint32, entries uint64) error {
	if n := t.scrub(maxID); n != entries {
		return fmt.Errorf("%w: %s holds %d entries below id %d, want %d", ErrCorrupt, t.path, n, maxID, entries)
	}
	t.entries = entries
	return nil
}

// sync makes the file hold what the slots hold: the changed pages are
// written in place, or the whole table to a temporary file renamed over
// it (the caller syncs the directory). A reader's sync does nothing.
func (t *table) sync() error {
	if t.readOnly {
		return nil
	}
	if t.whole {
		return t.rewrite()
	}
	for c := uint64(0); c<<chunkShift < t.slots; {
		if t.dirty[c/64]&(1<<(c%64)) == 0 {
			c++
			continue
		}
		end := c
		for end<<chunkShift < t.slots && t.dirty[end/64]&(1<<(end%64)) != 0 {
			end++
		}
		lo, hi := c<<chunkShift, min(end<<chunkShift, t.slots)
		if _, err := t.f.WriteAt(t.s[4*lo:4*hi], int64(tableHeader+4*lo)); err != nil {
			return fmt.Errorf("chainindex: write %s: %w", t.path, err)
		}
		if _, err := t.f.WriteAt(t.tg[lo:hi], int64(tableHeader+4*t.slots+lo)); err != nil {
			return fmt.Errorf("chainindex: write %s: %w", t.path, err)
		}
		c = end
	}
	if err := t.f.Sync(); err != nil {
		return fmt.Errorf("chainindex: sync %s: %w", t.path, err)
	}
	clear(t.dirty)
	return nil
}

// rewrite writes the whole table to path.tmp, syncs it and renames it
// over path.
func (t *table) rewrite() error {
	tmp := t.path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return err
	}
	var hdr [tableHeader]byte
	copy(hdr[:], tableMagic)
	binary.LittleEndian.PutUint64(hdr[8:], t.slots)
	_, err = f.Write(hdr[:])
	if err == nil {
		_, err = f.Write(t.mm[:5*t.slots]) // slots, then tags
	}
	if err == nil {
		err = f.Sync()
	}
	if err == nil {
		err = os.Rename(tmp, t.path)
	}
	if err != nil {
		f.Close()
		return fmt.Errorf("chainindex: write %s: %w", t.path, err)
	}
	if t.f != nil {
		t.f.Close()
	}
	t.f, t.whole = f, false
	clear(t.dirty)
	return nil
}

func (t *table) close() error {
	var err error
	if t.mm != nil {
		err = syscall.Munmap(t.mm)
		t.mm, t.s, t.tg = nil, nil, nil
	}
	if t.f != nil {
		if e := t.f.Close(); err == nil {
			err = e
		}
		t.f = nil
	}
	return err
}
