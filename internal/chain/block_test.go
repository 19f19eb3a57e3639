package chain

import (
	"bytes"
	"encoding/binary"
	"errors"
	"testing"
)

type counts struct{ blocks, txs, ins, outs, value int64 }

func count(t *testing.T, blocks [][]byte) counts {
	t.Helper()
	var c counts
	var blk Block
	for i, b := range blocks {
		if err := blk.Parse(b); err != nil {
			t.Fatalf("block %d: %v", i, err)
		}
		mb, err := btcdBlock(b)
		if err != nil {
			t.Fatalf("block %d: btcd: %v", i, err)
		}
		if d := sameAsBtcd(&blk, mb); d != "" {
			t.Fatalf("block %d (%s): %s", i, blk.Hash(), d)
		}
		c.blocks++
		c.txs += int64(len(blk.Txs))
		for _, tx := range blk.Txs {
			c.ins += int64(len(tx.In))
			c.outs += int64(len(tx.Out))
			for _, o := range tx.Out {
				c.value += o.Value
			}
		}
	}
	return c
}

// TestRealBlocks checks the counts of testdata/SOURCE.txt and that every
// block, txid, input and output equals btcd's decoding of the same bytes.
func TestRealBlocks(t *testing.T) {
	tests := []struct {
		name   string
		blocks func(t *testing.T) [][]byte
		want   counts
	}{
		{"blk_0_to_14131", func(t *testing.T) [][]byte { return fileBlocks(t, readTestdata(t, blkFile)) },
			counts{blocks: 14132, txs: 14247, ins: 14997, outs: 14282, value: 75_149_201_000_000}},
		{"height_574200", func(t *testing.T) [][]byte { return [][]byte{readTestdata(t, block2019)} },
			counts{blocks: 1, txs: 3315, ins: 5055, outs: 8150, value: -1}},
		{"height_540107", func(t *testing.T) [][]byte { return [][]byte{readTestdata(t, block2018)} },
			counts{blocks: 1, txs: 230, ins: 7033, outs: 472, value: -1}},
		{"height_277647", func(t *testing.T) [][]byte { return fileBlocks(t, readTestdata(t, block2013)) },
			counts{blocks: 1, txs: 213, ins: 733, outs: -1, value: -1}},
		{"blocks_1_256", func(t *testing.T) [][]byte { return fileBlocks(t, readTestdata(t, blocks1256)) },
			counts{blocks: 255, txs: -1, ins: -1, outs: -1, value: -1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := count(t, tt.blocks(t))
			// -1: not stated in SOURCE.txt; the btcd comparison covers it.
			for _, f := range []struct {
				name      string
				got, want int64
			}{{"blocks", got.blocks, tt.want.blocks}, {"txs", got.txs, tt.want.txs}, {"inputs", got.ins, tt.want.ins},
				{"outputs", got.outs, tt.want.outs}, {"value", got.value, tt.want.value}} {
				if f.want >= 0 && f.got != f.want {
					t.Errorf("%s = %d, want %d", f.name, f.got, f.want)
				}
			}
		})
	}
}

// blocks1-256.bz2 holds heights 1..255 (btcd's tests prepend the genesis
// block), the same bytes as in the blk file.
func TestBlocks1To255MatchBlkFile(t *testing.T) {
	a := fileBlocks(t, readTestdata(t, blocks1256))
	b := fileBlocks(t, readTestdata(t, blkFile))
	if len(a) != 255 {
		t.Fatalf("%d blocks, want 255", len(a))
	}
	for i := range a {
		if !bytes.Equal(a[i], b[i+1]) {
			t.Fatalf("block %d differs from height %d of the blk file", i, i+1)
		}
	}
}

func TestSegwitTxID(t *testing.T) {
	blk, err := ParseBlock(readTestdata(t, block2019))
	if err != nil {
		t.Fatal(err)
	}
	segwit := 0
	for _, tx := range blk.Txs {
		if tx.HasWitness {
			segwit++
			if tx.WTxID() == tx.TxID {
				t.Fatalf("%s: wtxid equals txid", tx.TxID)
			}
		}
	}
	if segwit != 1341 {
		t.Errorf("segwit txs = %d, want 1341", segwit)
	}
	if !blk.Txs[0].IsCoinbase() || blk.Txs[1].IsCoinbase() {
		t.Error("IsCoinbase wrong")
	}
}

// smallSegwitBlock builds a valid block from the 2019 block's header, its
// coinbase and one segwit transaction, small enough to cut at every offset.
func smallSegwitBlock(t testing.TB) []byte {
	t.Helper()
	blk, err := ParseBlock(readTestdata(t, block2019))
	if err != nil {
		t.Fatal(err)
	}
	b := append([]byte{}, blk.Raw[:HeaderSize]...)
	b = append(b, 2)
	b = append(b, blk.Txs[0].Raw...)
	for _, tx := range blk.Txs[1:] {
		if tx.HasWitness && len(tx.In) > 1 {
			return append(b, tx.Raw...)
		}
	}
	t.Fatal("no multi-input segwit tx")
	return nil
}

// TestTruncated cuts real blocks at every offset: always a *ParseError at
// or before the cut, never a panic.
func TestTruncated(t *testing.T) {
	blocks := fileBlocks(t, readTestdata(t, blocks1256))
	tests := []struct {
		name  string
		block []byte
	}{
		{"segwit", smallSegwitBlock(t)},
		{"block_170_first_spend", blocks[169]},
		{"block_1", blocks[0]},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := ParseBlock(tt.block); err != nil {
				t.Fatalf("whole block: %v", err)
			}
			var blk Block
			for i := range len(tt.block) {
				err := blk.Parse(tt.block[:i])
				var pe *ParseError
				if !errors.As(err, &pe) {
					t.Fatalf("cut at %d: error %v, want *ParseError", i, err)
				}
				if pe.Offset > i {
					t.Fatalf("cut at %d: offset %d beyond the data", i, pe.Offset)
				}
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	genesis := fileBlocks(t, readTestdata(t, blocks1256))[0]
	segwit := smallSegwitBlock(t)
	// The first tx of segwit starts at 81; find the segwit tx after it.
	blk, _ := ParseBlock(segwit)
	sw := blk.Txs[1].Offset

	with := func(b []byte, f func(b []byte) []byte) []byte { return f(bytes.Clone(b)) }
	tests := []struct {
		name       string
		block      []byte
		wantOffset int
	}{
		{"empty", nil, 0},
		{"header only", genesis[:HeaderSize], HeaderSize},
		{"too big", make([]byte, MaxBlockSize+1), MaxBlockSize},
		{"trailing byte", append(bytes.Clone(genesis), 0), len(genesis)},
		{"tx count beyond data", with(genesis, func(b []byte) []byte { b[80] = 5; return b }), 80},
		{"non-canonical tx count", with(genesis, func(b []byte) []byte {
			return append(append(b[:80:80], 0xfd, 1, 0), b[81:]...)
		}), 80},
		{"huge tx count", append(bytes.Clone(genesis[:80]), 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff), 80},
		{"script longer than data", with(genesis, func(b []byte) []byte { b[81+4+1+36] = 0xfc; return b }), 81 + 4 + 1 + 36},
		{"witness flag 2", with(segwit, func(b []byte) []byte { b[sw+5] = 2; return b }), sw + 5},
		{"witness flag without witness", superfluousWitness(t, genesis), -1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseBlock(tt.block)
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("error %v, want *ParseError", err)
			}
			if tt.wantOffset >= 0 && pe.Offset != tt.wantOffset {
				t.Errorf("offset %d, want %d (%v)", pe.Offset, tt.wantOffset, err)
			}
			if _, berr := btcdBlock(tt.block); berr == nil && len(tt.block) <= MaxBlockSize {
				t.Errorf("btcd accepts what we reject")
			}
		})
	}
}

// superfluousWitness rewrites the genesis coinbase with a witness flag and
// an empty witness stack, which btcd and Bitcoin Core reject.
func superfluousWitness(t *testing.T, genesis []byte) []byte {
	t.Helper()
	tx := genesis[81:]
	b := append(bytes.Clone(genesis[:81]), tx[:4]...)
	b = append(b, 0, 1)
	b = append(b, tx[4:len(tx)-4]...)
	b = append(b, 0) // no witness items for the one input
	return binary.LittleEndian.AppendUint32(b, 0)
}

func TestParseReuseAllocs(t *testing.T) {
	raw := readTestdata(t, block2019)
	var blk Block
	if err := blk.Parse(raw); err != nil {
		t.Fatal(err)
	}
	allocs := testing.AllocsPerRun(5, func() {
		if err := blk.Parse(raw); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Errorf("reused Block: %v allocations per parse, want 0", allocs)
	}
}

func TestSyntheticBlock(t *testing.T) {
	raw := syntheticBlock()
	blk, err := ParseBlock(raw)
	if err != nil {
		t.Fatal(err)
	}
	mb, err := btcdBlock(raw)
	if err != nil {
		t.Fatal(err)
	}
	if d := sameAsBtcd(blk, mb); d != "" {
		t.Fatal(d)
	}
	tx := blk.Txs[1]
	if !tx.HasWitness || len(tx.In) != 2 || len(tx.Out) != 0 || tx.In[0].Witness != nil || len(tx.In[1].WitnessItems()) != 2 {
		t.Errorf("witness tx parsed as %+v", tx)
	}
	if len(blk.Txs[0].In[0].Script) != 0xfd {
		t.Errorf("script length %d", len(blk.Txs[0].In[0].Script))
	}
}

func TestGenesis(t *testing.T) {
	blk, err := ParseBlock(fileBlocks(t, readTestdata(t, blkFile)[:293])[0])
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, got, want string
	}{
		{"hash", blk.Hash().String(), "000000000019d6689c085ae165831e934ff763ae46a2a6c172b3f1b60a8ce26f"},
		{"txid", blk.Txs[0].TxID.String(), "4a5e1e4baab89f3a32518a88c31bc87f618f76673e2cc77ab2127b7afdeda33b"},
		{"time", blk.Header.Time().Format("2006-01-02 15:04:05"), "2009-01-03 18:15:05"},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("%s = %s, want %s", tt.name, tt.got, tt.want)
		}
	}
	if !blk.Txs[0].IsCoinbase() {
		t.Error("genesis coinbase is not a coinbase")
	}
}
