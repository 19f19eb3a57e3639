package chain

import (
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"hash"
	"time"

	"github.com/btcsuite/btcd/chaincfg/chainhash"
)

// Sizes and bounds of the block format.
const (
	// MaxBlockSize is the largest serialized block accepted, in bytes: a
	// block's weight is at most 4,000,000 and every byte weighs at least 1.
	MaxBlockSize = 4_000_000
	// HeaderSize is the size of a serialized block header.
	HeaderSize = 80

	// The smallest encodings, used to bound counts by the bytes left:
	// a transaction needs version, one input (a zero count is the witness
	// marker), an output count and locktime.
	minTxSize    = 4 + 1 + minTxInSize + 1 + 4
	minTxInSize  = 32 + 4 + 1 + 4
	minTxOutSize = 8 + 1
)

// Header is a parsed block header.
type Header struct {
	Version    int32
	PrevBlock  chainhash.Hash
	MerkleRoot chainhash.Hash
	Timestamp  uint32 // seconds since the Unix epoch
	Bits       uint32
	Nonce      uint32
}

// Time returns the header's timestamp.
func (h *Header) Time() time.Time { return time.Unix(int64(h.Timestamp), 0).UTC() }

// Block is a parsed block. Its slices point into the bytes it was parsed
// from; see the package documentation.
type Block struct {
	Raw    []byte
	Header Header
	Txs    []Tx

	// All inputs and outputs of the block, which each Tx's In and Out
	// slice; one allocation each instead of one per transaction.
	ins  []TxIn
	outs []TxOut

	h   hash.Hash // for txids assembled from several pieces
	sum [sha256.Size]byte
}

// Tx is one transaction of a Block.
type Tx struct {
	// Raw is the whole serialized transaction, witness data included.
	Raw []byte
	// Offset is where Raw starts in the block.
	Offset   int
	TxID     chainhash.Hash
	Version  int32
	LockTime uint32
	// HasWitness reports the BIP 144 marker and flag.
	HasWitness bool
	In         []TxIn
	Out        []TxOut

	inLo, outLo int
}

// TxIn is a transaction input.
type TxIn struct {
	PrevTxID  chainhash.Hash
	PrevIndex uint32
	Script    []byte
	Sequence  uint32
	// Witness is the serialized witness stack of the input (item count,
	// then length-prefixed items), empty when the input has none; see
	// [TxIn.WitnessItems].
	Witness []byte
}

// TxOut is a transaction output.
type TxOut struct {
	Value  int64 // satoshis
	Script []byte
}

// Hash returns the block hash, the double SHA-256 of the header. It is
// computed on each call: in a file of small blocks hashing headers would
// double the parse time of callers that do not need it.
func (blk *Block) Hash() chainhash.Hash { return doubleSHA256(blk.Raw[:HeaderSize]) }

// IsCoinbase reports whether tx is a coinbase: one input spending the null
// outpoint.
func (tx *Tx) IsCoinbase() bool {
	return len(tx.In) == 1 && tx.In[0].PrevIndex == 0xffffffff && tx.In[0].PrevTxID == chainhash.Hash{}
}

// WTxID returns the witness txid, the double SHA-256 of the whole
// transaction; it equals TxID without witness data.
func (tx *Tx) WTxID() chainhash.Hash {
	if !tx.HasWitness {
		return tx.TxID
	}
	return chainhash.DoubleHashH(tx.Raw)
}

// WitnessItems returns the items of the input's witness stack. The items
// point into the block; the outer slice is allocated. A Witness that the
// parser did not produce is read only as far as it is well formed.
func (in *TxIn) WitnessItems() [][]byte {
	r := reader{b: in.Witness}
	n, err := r.count(1, "witness item count")
	if err != nil {
		return nil
	}
	items := make([][]byte, 0, n)
	for range n {
		item, err := r.bytes("witness item")
		if err != nil {
			break
		}
		items = append(items, item)
	}
	return items
}

// ParseBlock parses one serialized block, which must fill b exactly.
func ParseBlock(b []byte) (*Block, error) {
	blk := new(Block)
	if err := blk.Parse(b); err != nil {
		return nil, err
	}
	return blk, nil
}

// Parse parses b into blk, reusing blk's memory; a Block reused across
// blocks of similar size parses without allocating. On error blk's content
// is unspecified.
func (blk *Block) Parse(b []byte) error {
	if len(b) > MaxBlockSize {
		return &ParseError{Offset: MaxBlockSize, Reason: fmt.Sprintf("block of %d bytes exceeds the maximum of %d", len(b), MaxBlockSize)}
	}
	if len(b) < HeaderSize {
		return &ParseError{Offset: len(b), Reason: fmt.Sprintf("truncated header: %d of %d bytes", len(b), HeaderSize)}
	}
	blk.Raw = b
	blk.Header = Header{
		Version:   int32(binary.LittleEndian.Uint32(b[0:])),
		Timestamp: binary.LittleEndian.Uint32(b[68:]),
		Bits:      binary.LittleEndian.Uint32(b[72:]),
		Nonce:     binary.LittleEndian.Uint32(b[76:]),
	}
	copy(blk.Header.PrevBlock[:], b[4:36])
	copy(blk.Header.MerkleRoot[:], b[36:68])

	r := reader{b: b, off: HeaderSize}
	n, err := r.count(minTxSize, "transaction count")
	if err != nil {
		return err
	}
	if cap(blk.Txs) < n {
		// n is bounded by the input size, but a hostile count would still
		// cost three times the input; let append grow past typical sizes.
		blk.Txs = make([]Tx, 0, min(n, len(b)/256+1))
	}
	blk.Txs = blk.Txs[:0]
	if blk.ins == nil {
		// Typical blocks have a few hundred bytes per input and output.
		blk.ins = make([]TxIn, 0, len(b)/256+1)
		blk.outs = make([]TxOut, 0, len(b)/128+1)
	}
	blk.ins, blk.outs = blk.ins[:0], blk.outs[:0]
	for range n {
		if err := blk.parseTx(&r); err != nil {
			return err
		}
	}
	if r.off != len(b) {
		return &ParseError{Offset: r.off, Reason: fmt.Sprintf("%d bytes after the last transaction", len(b)-r.off)}
	}
	// The flat slices are complete and will not move any more.
	for i := range blk.Txs {
		tx := &blk.Txs[i]
		inHi, outHi := len(blk.ins), len(blk.outs)
		if i+1 < len(blk.Txs) {
			inHi, outHi = blk.Txs[i+1].inLo, blk.Txs[i+1].outLo
		}
		tx.In = blk.ins[tx.inLo:inHi:inHi]
		tx.Out = blk.outs[tx.outLo:outHi:outHi]
	}
	return nil
}

func (blk *Block) parseTx(r *reader) error {
	start := r.off
	version, err := r.uint32("version")
	if err != nil {
		return err
	}
	witness := false
	if r.off < len(r.b) && r.b[r.off] == 0 {
		// A zero input count is the BIP 144 marker.
		if r.off+1 >= len(r.b) {
			return r.truncated("witness flag")
		}
		if f := r.b[r.off+1]; f != 1 {
			return &ParseError{Offset: r.off + 1, Reason: fmt.Sprintf("witness flag is %#02x, not 0x01", f)}
		}
		witness = true
		r.off += 2
	}
	body := r.off

	nIn, err := r.count(minTxInSize, "input count")
	if err != nil {
		return err
	}
	inLo := len(blk.ins)
	for range nIn {
		if len(r.b)-r.off < 36 {
			return r.truncated("outpoint")
		}
		in := TxIn{PrevIndex: binary.LittleEndian.Uint32(r.b[r.off+32:])}
		copy(in.PrevTxID[:], r.b[r.off:r.off+32])
		r.off += 36
		if in.Script, err = r.bytes("input script"); err != nil {
			return err
		}
		if in.Sequence, err = r.uint32("sequence"); err != nil {
			return err
		}
		blk.ins = append(blk.ins, in)
	}

	nOut, err := r.count(minTxOutSize, "output count")
	if err != nil {
		return err
	}
	outLo := len(blk.outs)
	for range nOut {
		if len(r.b)-r.off < 8 {
			return r.truncated("output value")
		}
		out := TxOut{Value: int64(binary.LittleEndian.Uint64(r.b[r.off:]))}
		r.off += 8
		if out.Script, err = r.bytes("output script"); err != nil {
			return err
		}
		blk.outs = append(blk.outs, out)
	}
	bodyEnd := r.off

	if witness {
		hasItems := false
		for i := inLo; i < len(blk.ins); i++ {
			wStart := r.off
			items, err := r.count(1, "witness item count")
			if err != nil {
				return err
			}
			for range items {
				if _, err := r.bytes("witness item"); err != nil {
					return err
				}
			}
			if items > 0 {
				hasItems = true
				blk.ins[i].Witness = r.b[wStart:r.off]
			}
		}
		if !hasItems {
			// Bitcoin Core and btcd reject a flag without witness data,
			// which would give one transaction two serializations.
			return &ParseError{Offset: bodyEnd, Reason: "witness flag set but no input has witness data"}
		}
	}
	lockTime, err := r.uint32("locktime")
	if err != nil {
		return err
	}

	tx := Tx{
		Raw:        r.b[start:r.off],
		Offset:     start,
		Version:    int32(version),
		LockTime:   lockTime,
		HasWitness: witness,
		inLo:       inLo,
		outLo:      outLo,
	}
	if !witness {
		tx.TxID = doubleSHA256(tx.Raw)
	} else {
		// Hash the pieces around marker, flag and witnesses in place.
		if blk.h == nil {
			blk.h = sha256.New()
		}
		blk.h.Reset()
		blk.h.Write(r.b[start : start+4])
		blk.h.Write(r.b[body:bodyEnd])
		blk.h.Write(r.b[r.off-4 : r.off])
		tx.TxID = sha256.Sum256(blk.h.Sum(blk.sum[:0]))
	}
	blk.Txs = append(blk.Txs, tx)
	return nil
}

func doubleSHA256(b []byte) chainhash.Hash {
	h := sha256.Sum256(b)
	return sha256.Sum256(h[:])
}
