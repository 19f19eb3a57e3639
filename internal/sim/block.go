package sim

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"

	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/wire"
)

// blkWriter writes blocks in Bitcoin Core's blk?????.dat framing: 4 bytes
// of network magic, the block's length as a little-endian uint32, the
// block. A new file starts when the next block would pass maxFile bytes.
type blkWriter struct {
	dir     string
	magic   uint32
	maxFile int64

	file  *os.File
	buf   *bufio.Writer
	n     int   // number of the open file
	size  int64 // bytes in the open file
	bytes int64 // bytes in all files
	ser   []byte
}

func (w *blkWriter) write(b *wire.MsgBlock) error {
	n := b.SerializeSize()
	if w.file != nil && w.size+8+int64(n) > w.maxFile {
		if err := w.close(); err != nil {
			return err
		}
		w.n++
	}
	if w.file == nil {
		f, err := os.Create(filepath.Join(w.dir, fmt.Sprintf("blk%05d.dat", w.n)))
		if err != nil {
			return err
		}
		w.file, w.buf, w.size = f, bufio.NewWriterSize(f, 1<<20), 0
	}
	w.ser = binary.LittleEndian.AppendUint32(w.ser[:0], w.magic)
	w.ser = binary.LittleEndian.AppendUint32(w.ser, uint32(n))
	buf := &appendWriter{w.ser}
	if err := b.Serialize(buf); err != nil {
		return err
	}
	w.ser = buf.b
	if _, err := w.buf.Write(w.ser); err != nil {
		return err
	}
	w.size += int64(len(w.ser))
	w.bytes += int64(len(w.ser))
	return nil
}

func (w *blkWriter) close() error {
	if w.file == nil {
		return nil
	}
	err := w.buf.Flush()
	if cerr := w.file.Close(); err == nil {
		err = cerr
	}
	w.file = nil
	return err
}

type appendWriter struct{ b []byte }

func (a *appendWriter) Write(p []byte) (int, error) {
	a.b = append(a.b, p...)
	return len(p), nil
}

// merkleRoot is the Bitcoin merkle root of hashes (the last one paired with
// itself on odd levels). It reuses hashes as scratch space.
func merkleRoot(hashes []chainhash.Hash) chainhash.Hash {
	if len(hashes) == 0 {
		return chainhash.Hash{}
	}
	var pair [64]byte
	for len(hashes) > 1 {
		if len(hashes)%2 == 1 {
			hashes = append(hashes, hashes[len(hashes)-1])
		}
		for i := 0; i < len(hashes); i += 2 {
			copy(pair[:32], hashes[i][:])
			copy(pair[32:], hashes[i+1][:])
			hashes[i/2] = chainhash.DoubleHashH(pair[:])
		}
		hashes = hashes[:len(hashes)/2]
	}
	return hashes[0]
}

// witnessCommitmentHeader starts the BIP 141 commitment output script:
// OP_RETURN, push 36, 0xaa21a9ed.
var witnessCommitmentHeader = []byte{0x6a, 0x24, 0xaa, 0x21, 0xa9, 0xed}

// coinbaseScript is a BIP 34 scriptSig: the height as a minimal script
// number, an extra nonce, and the pool's marker as miners write it.
func coinbaseScript(height int32, extra uint64, tag string) []byte {
	var num []byte
	for h := height; h > 0; h >>= 8 {
		num = append(num, byte(h))
	}
	if len(num) > 0 && num[len(num)-1]&0x80 != 0 {
		num = append(num, 0)
	}
	s := []byte{byte(len(num))}
	if height == 0 {
		s = []byte{0x00} // OP_0
	}
	s = append(s, num...)
	s = append(s, 8)
	s = binary.LittleEndian.AppendUint64(s, extra)
	s = append(s, byte(len(tag)))
	return append(s, tag...)
}
