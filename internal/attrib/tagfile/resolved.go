package tagfile

import (
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"iter"
	"maps"
	"os"
	"path/filepath"
	"slices"

	"github.com/entente/entente/internal/attrib"
)

// Resolution is the strongest tag in some categories of every tagged
// address (see attrib.Strongest), keyed by the address's id in a chain
// index where the index has the address, by the address otherwise.
// Resolving millions of tags costs a look-up each, tens of seconds on a
// large index, so a command keeps its resolution in a file
// ([WriteResolution]) and, while the tags and the index's ids stand, only
// looks up again the addresses the index lacked ([Resolution.Recheck]).
type Resolution struct {
	Labels  []Label           // distinct attributions
	IDs     map[uint32]uint32 // address id -> index in Labels
	Missing map[string]uint32 // address -> index in Labels
}

// Label is an attribution: who controls an address, and what it is.
type Label struct{ Entity, Category string }

// Resolve resolves the tags in the categories want with lookup, which
// returns an address's id or an error when the index lacks it.
func Resolve(tags iter.Seq[attrib.Tag], want map[attrib.Category]bool, lookup func(addr string) (uint32, error)) *Resolution {
	best := map[string]attrib.Tag{}
	var order []string
	for t := range tags {
		if !want[t.Category] {
			continue
		}
		old, seen := best[t.Address]
		if !seen {
			order = append(order, t.Address)
		}
		if !seen || t.Confidence > old.Confidence {
			best[t.Address] = t
		}
	}
	r := &Resolution{IDs: map[uint32]uint32{}, Missing: map[string]uint32{}}
	index := map[Label]uint32{}
	for _, a := range order {
		t := best[a]
		l := Label{t.Entity(), string(t.Category)}
		li, ok := index[l]
		if !ok {
			li = uint32(len(r.Labels))
			index[l] = li
			r.Labels = append(r.Labels, l)
		}
		if id, err := lookup(a); err == nil {
			r.IDs[id] = li
		} else {
			r.Missing[a] = li
		}
	}
	return r
}

// Recheck looks up again the addresses the index lacked and returns how
// many it has now.
func (r *Resolution) Recheck(lookup func(addr string) (uint32, error)) int {
	n := 0
	for a, li := range r.Missing {
		if id, err := lookup(a); err == nil {
			r.IDs[id] = li
			delete(r.Missing, a)
			n++
		}
	}
	return n
}

// All returns each address id and its label.
func (r *Resolution) All() iter.Seq2[uint32, Label] {
	return func(yield func(uint32, Label) bool) {
		for id, li := range r.IDs {
			if !yield(id, r.Labels[li]) {
				return
			}
		}
	}
}

const (
	resolutionMagic = "ENTRES01"
	// maxResolutionFile bounds a resolution file read back.
	maxResolutionFile = 1 << 30
)

// WriteResolution writes r to path (a temporary file renamed over it; it
// is a cache, so it is not synced),
// with key, which a reader must give again to use it (say, the tag file's
// size and time and the categories), and anchor, which it gets back (say,
// the index block the ids were resolved at). The layout, integers as
// unsigned varints:
//
//	"ENTRES01" | key length | key | anchor length | anchor |
//	label count | labels: entity length | entity | category length | category |
//	id count | ids ascending: id - previous id | label index |
//	missing count | missing: address length | address | label index |
//	SHA-256 of all before
func WriteResolution(path string, key, anchor []byte, r *Resolution) error {
	b := []byte(resolutionMagic)
	bytesField := func(p []byte) { b = append(binary.AppendUvarint(b, uint64(len(p))), p...) }
	bytesField(key)
	bytesField(anchor)
	b = binary.AppendUvarint(b, uint64(len(r.Labels)))
	for _, l := range r.Labels {
		bytesField([]byte(l.Entity))
		bytesField([]byte(l.Category))
	}
	b = binary.AppendUvarint(b, uint64(len(r.IDs)))
	prev := uint32(0)
	for _, id := range slices.Sorted(maps.Keys(r.IDs)) {
		b = binary.AppendUvarint(b, uint64(id-prev))
		b = binary.AppendUvarint(b, uint64(r.IDs[id]))
		prev = id
	}
	b = binary.AppendUvarint(b, uint64(len(r.Missing)))
	for _, a := range slices.Sorted(maps.Keys(r.Missing)) {
		bytesField([]byte(a))
		b = binary.AppendUvarint(b, uint64(r.Missing[a]))
	}
	sum := sha256.Sum256(b)
	b = append(b, sum[:]...)
	// A temporary file of its own: two commands may write at once.
	f, err := os.CreateTemp(filepath.Dir(path), filepath.Base(path)+".*.tmp")
	if err != nil {
		return err
	}
	_, err = f.Write(b)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(f.Name(), 0o644)
	}
	if err == nil {
		err = os.Rename(f.Name(), path)
	}
	if err != nil {
		os.Remove(f.Name())
	}
	return err
}

// errResolution: a resolution file that is damaged or not one.
var errResolution = errors.New("tagfile: not a resolution file")

// ReadResolution reads the resolution at path written with key, and its
// anchor. It returns ok false, with no error, when there is none or it
// was written with another key; a damaged file is an error.
func ReadResolution(path string, key []byte) (r *Resolution, anchor []byte, ok bool, err error) {
	fi, err := os.Stat(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil, false, nil
	}
	if err != nil {
		return nil, nil, false, err
	}
	if fi.Size() > maxResolutionFile || fi.Size() < int64(len(resolutionMagic)+sha256.Size) {
		return nil, nil, false, fmt.Errorf("%w: %s: %d bytes", errResolution, filepath.Base(path), fi.Size())
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, false, err
	}
	body := b[:len(b)-sha256.Size]
	if sum := sha256.Sum256(body); string(sum[:]) != string(b[len(body):]) || string(body[:len(resolutionMagic)]) != resolutionMagic {
		return nil, nil, false, fmt.Errorf("%w: %s: checksum or magic mismatch", errResolution, filepath.Base(path))
	}
	d := decoder{b: body[len(resolutionMagic):]}
	gotKey := d.bytes()
	anchor = d.bytes()
	if d.err == nil && string(gotKey) != string(key) {
		return nil, nil, false, nil
	}
	r = &Resolution{}
	for n := d.count(2); n > 0 && d.err == nil; n-- {
		r.Labels = append(r.Labels, Label{string(d.bytes()), string(d.bytes())})
	}
	label := func() uint32 {
		li := d.uvarint()
		if li >= uint64(len(r.Labels)) {
			d.fail()
		}
		return uint32(li)
	}
	id := uint64(0)
	n := d.count(2)
	r.IDs = make(map[uint32]uint32, n)
	for ; n > 0 && d.err == nil; n-- {
		if id += d.uvarint(); id > 1<<32-1 {
			d.fail()
		}
		r.IDs[uint32(id)] = label()
	}
	n = d.count(2)
	r.Missing = make(map[string]uint32, n)
	for ; n > 0 && d.err == nil; n-- {
		a := string(d.bytes())
		r.Missing[a] = label()
	}
	if d.err == nil && len(d.b) != 0 {
		d.fail()
	}
	if d.err != nil {
		return nil, nil, false, fmt.Errorf("%w: %s: %v", errResolution, filepath.Base(path), d.err)
	}
	return r, anchor, true, nil
}

// decoder reads varint fields, bounding every count by the bytes left.
type decoder struct {
	b   []byte
	err error
}

func (d *decoder) fail() {
	if d.err == nil {
		d.err = errors.New("malformed")
	}
}

func (d *decoder) uvarint() uint64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Uvarint(d.b)
	if n <= 0 {
		d.fail()
		return 0
	}
	d.b = d.b[n:]
	return v
}

// count reads a count of records of at least min bytes each.
func (d *decoder) count(min int) uint64 {
	n := d.uvarint()
	if n > uint64(len(d.b)/min) {
		d.fail()
		return 0
	}
	return n
}

func (d *decoder) bytes() []byte {
	n := d.uvarint()
	if d.err != nil || n > uint64(len(d.b)) {
		d.fail()
		return nil
	}
	p := d.b[:n]
	d.b = d.b[n:]
	return p
}
