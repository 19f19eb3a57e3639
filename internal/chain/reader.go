package chain

import (
	"encoding/binary"
	"fmt"
)

// reader is a cursor over a byte slice whose every read is bounds-checked.
type reader struct {
	b   []byte
	off int
}

func (r *reader) truncated(what string) error {
	return &ParseError{Offset: r.off, Reason: "truncated " + what}
}

func (r *reader) uint32(what string) (uint32, error) {
	if len(r.b)-r.off < 4 {
		return 0, r.truncated(what)
	}
	v := binary.LittleEndian.Uint32(r.b[r.off:])
	r.off += 4
	return v, nil
}

// varint reads a Bitcoin CompactSize integer, which must use its shortest
// form as btcd and Bitcoin Core require.
func (r *reader) varint() (uint64, error) {
	if r.off >= len(r.b) {
		return 0, r.truncated("varint")
	}
	d := r.b[r.off]
	var size int
	var min uint64
	switch d {
	case 0xfd:
		size, min = 2, 0xfd
	case 0xfe:
		size, min = 4, 0x10000
	case 0xff:
		size, min = 8, 0x100000000
	default:
		r.off++
		return uint64(d), nil
	}
	if len(r.b)-r.off-1 < size {
		return 0, r.truncated("varint")
	}
	var v uint64
	p := r.b[r.off+1:]
	switch size {
	case 2:
		v = uint64(binary.LittleEndian.Uint16(p))
	case 4:
		v = uint64(binary.LittleEndian.Uint32(p))
	default:
		v = binary.LittleEndian.Uint64(p)
	}
	if v < min {
		return 0, &ParseError{Offset: r.off, Reason: fmt.Sprintf("non-canonical varint %d", v)}
	}
	r.off += 1 + size
	return v, nil
}

// count reads a varint count of items of at least minSize bytes each and
// refuses counts that cannot fit in the bytes left, before anything is
// allocated for them.
func (r *reader) count(minSize int, what string) (int, error) {
	// Fast path, small enough to inline: a one-byte count that fits.
	if p := r.off; p < len(r.b) {
		if v := int(r.b[p]); v < 0xfd && v*minSize < len(r.b)-p {
			r.off = p + 1
			return v, nil
		}
	}
	return r.countSlow(minSize, what)
}

func (r *reader) countSlow(minSize int, what string) (int, error) {
	at := r.off
	v, err := r.varint()
	if err != nil {
		return 0, err
	}
	if v > uint64((len(r.b)-r.off)/minSize) {
		return 0, &ParseError{Offset: at, Reason: fmt.Sprintf("%s %d does not fit in the %d bytes left", what, v, len(r.b)-r.off)}
	}
	return int(v), nil
}

// bytes reads a varint length and returns that many bytes in place.
func (r *reader) bytes(what string) ([]byte, error) {
	// Fast path, small enough to inline: a one-byte length that fits.
	if p := r.off; p < len(r.b) {
		if l := int(r.b[p]); l < 0xfd && l < len(r.b)-p {
			r.off = p + 1 + l
			return r.b[p+1 : r.off : r.off], nil
		}
	}
	return r.bytesSlow(what)
}

func (r *reader) bytesSlow(what string) ([]byte, error) {
	at := r.off
	l, err := r.varint()
	if err != nil {
		return nil, err
	}
	if l > uint64(len(r.b)-r.off) {
		return nil, &ParseError{Offset: at, Reason: fmt.Sprintf("%s length %d exceeds the %d bytes left", what, l, len(r.b)-r.off)}
	}
	s := r.b[r.off : r.off+int(l) : r.off+int(l)]
	r.off += int(l)
	return s, nil
}
