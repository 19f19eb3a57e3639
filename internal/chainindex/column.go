package chainindex

import (
	"encoding/binary"
	"fmt"
	"os"
	"syscall"
)

// column is one fixed-width column file. Records up to the last commit are
// on disk and read through a read-only shared mapping; records appended
// since then are in tail, and in-place updates of committed uint32
// records in over, until commit writes them. So nothing but a commit
// changes a column file, which is what makes recovery a truncation plus a
// journal replay.
type column struct {
	name  string
	width int
	f     *os.File
	mm    []byte
	n     uint64 // committed records
	tail  []byte
	over  map[uint32]uint32
	// writable maps the file for writing, so that a commit applies the
	// journal with stores rather than a system call per record. Only
	// applyJournal writes through it, after the commit point.
	writable bool
}

func openColumn(path string, width int, n uint64, readOnly, writable bool) (*column, error) {
	flag := os.O_RDWR | os.O_CREATE
	if readOnly {
		flag = os.O_RDONLY
	}
	f, err := os.OpenFile(path, flag, 0o644)
	if err != nil {
		return nil, err
	}
	c := &column{name: path, width: width, f: f, n: n, over: map[uint32]uint32{}, writable: writable && !readOnly}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	want := int64(n) * int64(width)
	if st.Size() < want {
		f.Close()
		return nil, fmt.Errorf("%w: %s has %d bytes, the checkpoint says %d", ErrCorrupt, path, st.Size(), want)
	}
	if st.Size() > want && !readOnly {
		// Written after the last commit: a crash interrupted ingest.
		if err := f.Truncate(want); err != nil {
			f.Close()
			return nil, err
		}
	}
	if err := c.remap(); err != nil {
		f.Close()
		return nil, err
	}
	return c, nil
}

func (c *column) remap() error {
	if c.mm != nil {
		if err := syscall.Munmap(c.mm); err != nil {
			return err
		}
		c.mm = nil
	}
	size := int(c.n) * c.width
	if size == 0 {
		return nil
	}
	prot := syscall.PROT_READ
	if c.writable {
		prot |= syscall.PROT_WRITE
	}
	mm, err := syscall.Mmap(int(c.f.Fd()), 0, size, prot, syscall.MAP_SHARED)
	if err != nil {
		return fmt.Errorf("chainindex: mmap %s: %w", c.name, err)
	}
	c.mm = mm
	return nil
}

// len is the number of records, committed or not.
func (c *column) len() uint64 { return c.n + uint64(len(c.tail)/c.width) }

// at returns record i, which must exist; the result is valid until the
// next append or commit.
func (c *column) at(i uint64) []byte {
	if i < c.n {
		o := i * uint64(c.width)
		return c.mm[o : o+uint64(c.width)]
	}
	o := (i - c.n) * uint64(c.width)
	return c.tail[o : o+uint64(c.width)]
}

func (c *column) appendRec(rec []byte) { c.tail = append(c.tail, rec...) }

func (c *column) appendU32(v uint32) { c.tail = binary.LittleEndian.AppendUint32(c.tail, v) }

// u32 reads a uint32 column, seeing uncommitted updates.
func (c *column) u32(i uint32) uint32 {
	if uint64(i) < c.n {
		if v, ok := c.over[i]; ok {
			return v
		}
	}
	return binary.LittleEndian.Uint32(c.at(uint64(i)))
}

func (c *column) setU32(i uint32, v uint32) {
	if uint64(i) < c.n {
		c.over[i] = v
		return
	}
	binary.LittleEndian.PutUint32(c.at(uint64(i)), v)
}

// flushTail appends the tail to the file and syncs it; the caller commits
// and then calls committed.
func (c *column) flushTail() error {
	if len(c.tail) > 0 {
		if _, err := c.f.WriteAt(c.tail, int64(c.n)*int64(c.width)); err != nil {
			return fmt.Errorf("chainindex: write %s: %w", c.name, err)
		}
	}
	if err := c.f.Sync(); err != nil {
		return fmt.Errorf("chainindex: sync %s: %w", c.name, err)
	}
	return nil
}

// committed takes the flushed tail into the mapping.
func (c *column) committed() error {
	c.n = c.len()
	c.tail = c.tail[:0]
	clear(c.over)
	return c.remap()
}

// truncate cuts a committed column (no tail) to n records, for a rewind;
// the file keeps its bytes until the next commit overwrites them or Open
// cuts it, so readers mapping it never fault.
func (c *column) truncate(n uint64) error {
	if len(c.tail) > 0 || n > c.n {
		return fmt.Errorf("chainindex: truncate %s to %d of %d records with %d bytes pending", c.name, n, c.n, len(c.tail))
	}
	for i := range c.over {
		if uint64(i) >= n {
			delete(c.over, i)
		}
	}
	c.n = n
	return c.remap()
}

// discard drops everything since the last commit.
func (c *column) discard() {
	c.tail = c.tail[:0]
	clear(c.over)
}

func (c *column) close() error {
	var err error
	if c.mm != nil {
		err = syscall.Munmap(c.mm)
		c.mm = nil
	}
	if e := c.f.Close(); err == nil {
		err = e
	}
	return err
}
