package chain

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// XORKeySize is the size of Bitcoin Core's blocks/xor.dat.
const XORKeySize = 8

// BlockFileConfig configures a [BlockFileReader].
type BlockFileConfig struct {
	// Network gives the magic each record starts with. Required.
	Network Network
	// Name names the file in errors. Optional; default "block file".
	Name string
	// XORKey is the content of blocks/xor.dat (Bitcoin Core 28 and later):
	// the file byte at offset o is stored XORed with XORKey[o%8]. Optional;
	// the zero key, the default, means no obfuscation.
	XORKey [XORKeySize]byte
	// Offset is the file offset of the first byte the reader yields, when
	// reading from the middle of a file. Optional; default 0.
	Offset int64
}

// FileBlock is one block record of a block file.
type FileBlock struct {
	// Offset is the file offset of the block's first byte (after magic and
	// length), the position Bitcoin Core's block index records.
	Offset int64
	// Bytes is the serialized block, valid until the next call of Next.
	Bytes []byte
}

// BlockFileReader reads the block records of a Bitcoin Core blk?????.dat
// file in file order:
//
//	magic   4 bytes, Network.Magic (f9 be b4 d9 on mainnet)
//	length  uint32 LE, 80..MaxBlockSize
//	block   length bytes
//
// Bitcoin Core preallocates files in chunks, so zero bytes may follow the
// last record; they end the file. For example the first mainnet record is
// f9beb4d9 1d010000 followed by the 285-byte genesis block.
type BlockFileReader struct {
	r    *bufio.Reader
	cfg  BlockFileConfig
	off  int64 // file offset of the next byte
	buf  []byte
	done bool
	err  error // sticky: the stream position after a fault is meaningless
}

// NewBlockFileReader returns a reader of the records in r.
func NewBlockFileReader(r io.Reader, cfg BlockFileConfig) *BlockFileReader {
	if cfg.Name == "" {
		cfg.Name = "block file"
	}
	if cfg.XORKey != [XORKeySize]byte{} {
		r = &xorReader{r: r, key: cfg.XORKey, off: cfg.Offset}
	}
	return &BlockFileReader{r: bufio.NewReaderSize(r, 1<<16), cfg: cfg, off: cfg.Offset}
}

// ParseXORKey checks the content of blocks/xor.dat.
func ParseXORKey(b []byte) ([XORKeySize]byte, error) {
	var k [XORKeySize]byte
	if len(b) != XORKeySize {
		return k, fmt.Errorf("chain: xor.dat has %d bytes, want %d", len(b), XORKeySize)
	}
	copy(k[:], b)
	return k, nil
}

// Next returns the next block record, or io.EOF after the last one. Any
// other error is a *FileError naming the file and the record's offset, and
// is returned again by every later call.
func (f *BlockFileReader) Next() (FileBlock, error) {
	if f.done {
		return FileBlock{}, io.EOF
	}
	if f.err != nil {
		return FileBlock{}, f.err
	}
	at := f.off
	var hdr [8]byte
	n, err := io.ReadFull(f.r, hdr[:])
	f.off += int64(n)
	switch {
	case err == io.EOF:
		f.done = true
		return FileBlock{}, io.EOF
	case err != nil && !errors.Is(err, io.ErrUnexpectedEOF):
		return FileBlock{}, f.fail(at, err)
	}
	magic := [4]byte(hdr[:4])
	if magic == [4]byte{} && allZero(hdr[:n]) {
		if err := f.padding(); err != nil {
			return FileBlock{}, err
		}
		f.done = true
		return FileBlock{}, io.EOF
	}
	if n < len(hdr) {
		return FileBlock{}, f.fail(at, fmt.Errorf("truncated record header: %d of 8 bytes", n))
	}
	if magic != f.cfg.Network.Magic {
		return FileBlock{}, f.fail(at, fmt.Errorf("magic %x is not %s's %x", magic, f.cfg.Network.Name, f.cfg.Network.Magic))
	}
	size := binary.LittleEndian.Uint32(hdr[4:])
	if size < HeaderSize || size > MaxBlockSize {
		return FileBlock{}, f.fail(at, fmt.Errorf("block length %d outside %d..%d", size, HeaderSize, MaxBlockSize))
	}
	if cap(f.buf) < int(size) {
		f.buf = make([]byte, size)
	}
	f.buf = f.buf[:size]
	n, err = io.ReadFull(f.r, f.buf)
	f.off += int64(n)
	if err != nil {
		if errors.Is(err, io.ErrUnexpectedEOF) || err == io.EOF {
			err = fmt.Errorf("truncated block: length %d but the file ends after %d bytes", size, n)
		}
		return FileBlock{}, f.fail(at, err)
	}
	return FileBlock{Offset: at + 8, Bytes: f.buf}, nil
}

// padding consumes the rest of the file, which must be zero bytes.
func (f *BlockFileReader) padding() error {
	var chunk [4096]byte
	for {
		n, err := f.r.Read(chunk[:])
		for i, c := range chunk[:n] {
			if c != 0 {
				return f.fail(f.off+int64(i), errors.New("data after zero padding"))
			}
		}
		f.off += int64(n)
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return f.fail(f.off, err)
		}
	}
}

func (f *BlockFileReader) fail(at int64, err error) error {
	f.err = &FileError{File: f.cfg.Name, Offset: at, Err: err}
	return f.err
}

func allZero(b []byte) bool {
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}

// xorReader undoes Bitcoin Core's obfuscation of block files.
type xorReader struct {
	r   io.Reader
	key [XORKeySize]byte
	off int64
}

func (x *xorReader) Read(p []byte) (int, error) {
	n, err := x.r.Read(p)
	k := x.off % XORKeySize
	for i := range p[:n] {
		p[i] ^= x.key[k]
		k = (k + 1) % XORKeySize
	}
	x.off += int64(n)
	return n, err
}
