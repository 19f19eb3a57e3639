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
	tableMagic  = "ENTHT001"
	tableHeader = 16
	minSlots    = 1024
)

// keys gives a table access to the keys it maps, which live in columns.
type keys interface {
	hash(id uint32) uint64
	equal(a, b uint32) bool
}

// table is an open-addressing hash table file mapping keys to ids with
// linear probing; a slot holds id+1 (0 is empty) and the key is read from
// the id's column, so a slot costs 4 bytes. It is changed in place through
// a shared mapping; recovery removes the ids past the checkpoint (see the
// package doc for why that leaves exactly the committed table).
type table struct {
	path     string
	f        *os.File
	mm       []byte
	slots    uint64
	entries  uint64
	readOnly bool
}

// slotsFor keeps the load at most one half, so probes stay short.
func slotsFor(entries uint64) uint64 {
	s := uint64(minSlots)
	for entries > s/2 {
		s *= 2
	}
	return s
}

// openTable opens the table at path holding entries ids, all below maxID,
// repairing it (write mode) after a crash.
func openTable(path string, entries uint64, maxID uint32, k keys, readOnly bool) (*table, error) {
	t := &table{path: path, entries: entries, readOnly: readOnly}
	// A table grown past the checkpoint (by a running writer, one that
	// crashed, or before a rewind) holds the committed ids the same way:
	// they were inserted in id order.
	slots := max(slotsFor(entries), headerSlots(path))
	err := t.open(path, slots)
	if err == nil {
		if readOnly {
			return t, nil
		}
		if t.scrub(maxID) == entries {
			return t, nil
		}
		err = errors.New("entry count does not match the checkpoint")
	}
	if readOnly {
		return nil, fmt.Errorf("%w: %s: %v (an ingest repairs it)", ErrCorrupt, path, err)
	}
	t.close()
	return rebuildTable(path, entries, maxID, k)
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

func (t *table) open(path string, slots uint64) error {
	flag, prot := os.O_RDWR, syscall.PROT_READ|syscall.PROT_WRITE
	if t.readOnly {
		flag, prot = os.O_RDONLY, syscall.PROT_READ
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
	size := int64(tableHeader + 4*slots)
	if st.Size() != size {
		f.Close()
		return fmt.Errorf("size %d, want %d", st.Size(), size)
	}
	mm, err := syscall.Mmap(int(f.Fd()), 0, int(size), prot, syscall.MAP_SHARED)
	if err != nil {
		f.Close()
		return err
	}
	t.f, t.mm, t.slots = f, mm, slots
	if string(mm[:8]) != tableMagic || binary.LittleEndian.Uint64(mm[8:]) != slots {
		t.close()
		return errors.New("bad header")
	}
	return nil
}

// create makes an empty table file of the given size, under a temporary
// name the caller renames.
func createTable(path string, slots uint64) (*table, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return nil, err
	}
	var hdr [tableHeader]byte
	copy(hdr[:], tableMagic)
	binary.LittleEndian.PutUint64(hdr[8:], slots)
	_, err = f.Write(hdr[:])
	if err == nil {
		err = f.Truncate(int64(tableHeader + 4*slots))
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, err
	}
	t := &table{path: path}
	if err := t.open(path, slots); err != nil {
		return nil, err
	}
	return t, nil
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
			t.setSlot(i, 0)
		default:
			n++
		}
	}
	return n
}

func (t *table) slot(i uint64) uint32 {
	return binary.LittleEndian.Uint32(t.mm[tableHeader+4*i:])
}

func (t *table) setSlot(i uint64, v uint32) {
	binary.LittleEndian.PutUint32(t.mm[tableHeader+4*i:], v)
}

// find returns the id whose key eq accepts, probing from hash h. Ids at or
// past maxID are stale (written after the last commit by a writer that
// crashed or is still running) and count as empty.
func (t *table) find(h uint64, maxID uint32, eq func(id uint32) bool) (uint32, bool) {
	mask := t.slots - 1
	for i := h & mask; ; i = (i + 1) & mask {
		v := t.slot(i)
		if v == 0 || v-1 >= maxID {
			return 0, false
		}
		if eq(v - 1) {
			return v - 1, true
		}
	}
}

// insert adds id, whose key is absent, growing the table first if needed.
func (t *table) insert(h uint64, id uint32, k keys) error {
	if t.entries+1 > t.slots/2 {
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
	t.setSlot(i, id+1)
}

// grow doubles the table. Ids are reinserted in ascending order, so the
// layout depends only on the set of ids and the size: the same as a table
// built in one go by rebuildTable.
func (t *table) grow(k keys) error {
	ids := make([]uint32, 0, t.entries)
	for i := range t.slots {
		if v := t.slot(i); v != 0 {
			ids = append(ids, v-1)
		}
	}
	slices.Sort(ids)
	nt, err := createTable(t.path+".tmp", t.slots*2)
	if err != nil {
		return err
	}
	for _, id := range ids {
		nt.put(k.hash(id), id)
	}
	if err := os.Rename(nt.path, t.path); err != nil {
		nt.close()
		return err
	}
	nt.path, nt.entries = t.path, t.entries
	t.close()
	*t = *nt
	return nil
}

// rebuildTable builds the table from the columns: ids 0..maxID-1 in order,
// skipping an id whose key an earlier id holds.
func rebuildTable(path string, entries uint64, maxID uint32, k keys) (*table, error) {
	t, err := createTable(path+".tmp", slotsFor(entries))
	if err != nil {
		return nil, err
	}
	for id := range maxID {
		h := k.hash(id)
		if _, dup := t.find(h, maxID, func(o uint32) bool { return k.equal(o, id) }); dup {
			continue
		}
		t.put(h, id)
		t.entries++
	}
	if t.entries != entries {
		t.close()
		return nil, fmt.Errorf("%w: %s: rebuilt %d entries, the checkpoint says %d", ErrCorrupt, path, t.entries, entries)
	}
	if err := os.Rename(t.path, path); err != nil {
		t.close()
		return nil, err
	}
	t.path = path
	return t, nil
}

func (t *table) sync() error {
	return t.f.Sync() // the mapping is shared: fsync writes its dirty pages
}

func (t *table) close() error {
	var err error
	if t.mm != nil {
		err = syscall.Munmap(t.mm)
		t.mm = nil
	}
	if t.f != nil {
		if e := t.f.Close(); err == nil {
			err = e
		}
		t.f = nil
	}
	return err
}
