package chain

import (
	"bytes"
	"compress/bzip2"
	"compress/gzip"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/btcsuite/btcd/wire"
)

// Real mainnet data, see testdata/SOURCE.txt.
const (
	blkFile    = "blk_0_to_14131.dat.gz"
	block2019  = "block-0000000000000000001602407ac49862a7bca9d00f7f402db20b7be2f5de59d2.blk"
	block2018  = "block-00000000000000000021868c2cefc52a480d173c849412fe81c4e5ab806f94ab.blk"
	block2013  = "277647.dat.bz2"
	blocks1256 = "blocks1-256.bz2"
)

// readTestdata returns a testdata file, decompressed by its extension.
func readTestdata(tb testing.TB, name string) []byte {
	tb.Helper()
	f, err := os.Open(filepath.Join("testdata", name))
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	var r io.Reader = f
	switch {
	case strings.HasSuffix(name, ".gz"):
		zr, err := gzip.NewReader(f)
		if err != nil {
			tb.Fatal(err)
		}
		r = zr
	case strings.HasSuffix(name, ".bz2"):
		r = bzip2.NewReader(f)
	}
	b, err := io.ReadAll(r)
	if err != nil {
		tb.Fatalf("%s: %v", name, err)
	}
	return b
}

func mainnet(tb testing.TB) Network {
	tb.Helper()
	n, err := ParseNetwork("mainnet")
	if err != nil {
		tb.Fatal(err)
	}
	return n
}

// fileBlocks returns copies of all blocks of a block file.
func fileBlocks(tb testing.TB, data []byte) [][]byte {
	tb.Helper()
	fr := NewBlockFileReader(bytes.NewReader(data), BlockFileConfig{Network: mainnet(tb)})
	var out [][]byte
	for {
		fb, err := fr.Next()
		if err == io.EOF {
			return out
		}
		if err != nil {
			tb.Fatal(err)
		}
		out = append(out, bytes.Clone(fb.Bytes))
	}
}

// btcdBlock decodes b with btcd, the reference decoder; it reports an error
// also when b holds more than one block.
func btcdBlock(b []byte) (*wire.MsgBlock, error) {
	var mb wire.MsgBlock
	r := bytes.NewReader(b)
	if err := mb.Deserialize(r); err != nil {
		return nil, err
	}
	if r.Len() != 0 {
		return nil, io.ErrShortBuffer
	}
	return &mb, nil
}

// sameAsBtcd reports the first difference between our parse of a block
// and btcd's, or "".
func sameAsBtcd(blk *Block, mb *wire.MsgBlock) string {
	if blk.Hash() != mb.BlockHash() {
		return "block hash " + blk.Hash().String() + " != " + mb.BlockHash().String()
	}
	h := mb.Header
	if blk.Header.Version != h.Version || blk.Header.PrevBlock != h.PrevBlock || blk.Header.MerkleRoot != h.MerkleRoot ||
		int64(blk.Header.Timestamp) != h.Timestamp.Unix() || blk.Header.Bits != h.Bits || blk.Header.Nonce != h.Nonce {
		return "header differs"
	}
	if len(blk.Txs) != len(mb.Transactions) {
		return "tx count differs"
	}
	for i := range blk.Txs {
		tx, mt := &blk.Txs[i], mb.Transactions[i]
		switch {
		case tx.TxID != mt.TxHash():
			return "txid " + tx.TxID.String() + " != " + mt.TxHash().String()
		case tx.WTxID() != mt.WitnessHash():
			return "wtxid of " + tx.TxID.String()
		case tx.Version != mt.Version || tx.LockTime != mt.LockTime:
			return "version or locktime of " + tx.TxID.String()
		case len(tx.In) != len(mt.TxIn) || len(tx.Out) != len(mt.TxOut):
			return "input or output count of " + tx.TxID.String()
		}
		for j, in := range tx.In {
			mi := mt.TxIn[j]
			if in.PrevTxID != mi.PreviousOutPoint.Hash || in.PrevIndex != mi.PreviousOutPoint.Index ||
				!bytes.Equal(in.Script, mi.SignatureScript) || in.Sequence != mi.Sequence {
				return "input of " + tx.TxID.String()
			}
			items := in.WitnessItems()
			if len(items) != len(mi.Witness) {
				return "witness of " + tx.TxID.String()
			}
			for k := range items {
				if !bytes.Equal(items[k], mi.Witness[k]) {
					return "witness item of " + tx.TxID.String()
				}
			}
		}
		for j, out := range tx.Out {
			if out.Value != mt.TxOut[j].Value || !bytes.Equal(out.Script, mt.TxOut[j].PkScript) {
				return "output of " + tx.TxID.String()
			}
		}
	}
	return ""
}
