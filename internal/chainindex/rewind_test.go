package chainindex

import (
	"bytes"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/btcsuite/btcd/blockchain"
	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/wire"
	"github.com/entente/entente/internal/chain"
)

// forkBlock returns a block in place of raw (a block of the chain) with
// the same previous block but only raw's coinbase and a different nonce:
// the competing block a reorganisation brings.
func forkBlock(t testing.TB, raw []byte, prev chainhash.Hash) []byte {
	t.Helper()
	var mb wire.MsgBlock
	if err := mb.Deserialize(bytes.NewReader(raw)); err != nil {
		t.Fatal(err)
	}
	mb.Transactions = mb.Transactions[:1]
	mb.Header.PrevBlock = prev
	mb.Header.Nonce++
	txs := []*btcutil.Tx{btcutil.NewTx(mb.Transactions[0])}
	mb.Header.MerkleRoot = blockchain.CalcMerkleRoot(txs, false)
	var buf bytes.Buffer
	if err := mb.Serialize(&buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func addRaw(t testing.TB, ix *Index, raw []byte) {
	t.Helper()
	var blk chain.Block
	if err := blk.Parse(raw); err != nil {
		t.Fatal(err)
	}
	if err := ix.AddBlock(&blk); err != nil {
		t.Fatal(err)
	}
}

// columnFiles reads an index's column files, leaving out the hash tables:
// a rewound index may keep a table grown before the rewind, with the same
// entries in more slots.
func columnFiles(t testing.TB, dir string) map[string][]byte {
	m := indexFiles(t, dir)
	for n := range m {
		if strings.HasSuffix(n, ".ht") {
			delete(m, n)
		}
	}
	return m
}

func sameFiles(t *testing.T, got, want map[string][]byte) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%d files, want %d", len(got), len(want))
	}
	for n, w := range want {
		if g := got[n]; !bytes.Equal(g, w) {
			t.Errorf("%s: %d bytes differ from the %d of a straight ingest", n, len(g), len(w))
		}
	}
}

// TestRewind undoes the last blocks of a chain, across a reopen, and adds
// a competing block: the index must equal one that never saw the undone
// blocks, clusters included, byte for byte.
func TestRewind(t *testing.T) {
	blocks := chainBlocks(t, filepath.Join(simChain(t, 6_000), "blocks", "blk00000.dat"))
	keep := len(blocks) - 12
	var parsed chain.Block
	if err := parsed.Parse(blocks[keep-1]); err != nil {
		t.Fatal(err)
	}
	fork := forkBlock(t, blocks[keep], parsed.Hash())

	straight := t.TempDir()
	ix := openIndex(t, straight, nil)
	for _, b := range blocks[:keep] {
		addRaw(t, ix, b)
	}
	addRaw(t, ix, fork)
	if err := ix.Commit(); err != nil {
		t.Fatal(err)
	}
	ix.Close()
	want := columnFiles(t, straight)

	dir := t.TempDir()
	ix = openIndex(t, dir, func(c *Config) { c.CommitEvery = 5 })
	var merges uint64
	for i, b := range blocks {
		addRaw(t, ix, b)
		if i == keep-1 {
			merges = ix.clusterer.Merges
		}
	}
	if err := ix.Commit(); err != nil {
		t.Fatal(err)
	}
	if ix.clusterer.Merges == merges {
		t.Fatal("the undone blocks merge no clusters: nothing to test")
	}
	ix.Close()
	// The undo data must survive a restart.
	ix = openIndex(t, dir, func(c *Config) { c.CommitEvery = 5 })
	if d := ix.UndoDepth(); d != len(blocks) {
		t.Fatalf("undo depth %d after reopening, want %d", d, len(blocks))
	}
	if err := ix.Rewind(uint32(keep)); err != nil {
		t.Fatal(err)
	}
	if h, n := ix.Tip(); n != uint32(keep) || h != parsed.Hash() {
		t.Fatalf("tip %s, %d blocks after rewind; want %s, %d", h, n, parsed.Hash(), keep)
	}
	if ix.clusterer.Merges != merges {
		t.Fatalf("%d merges after rewind, want %d", ix.clusterer.Merges, merges)
	}
	// A transaction of an undone block is gone.
	var undone chain.Block
	undone.Parse(blocks[keep+1])
	if _, ok := ix.findTx(sipHash(undone.Txs[0].TxID[:], &ix.key), undone.Txs[0].TxID); ok {
		t.Fatal("a transaction of an undone block is still found")
	}
	addRaw(t, ix, fork)
	if err := ix.Commit(); err != nil {
		t.Fatal(err)
	}
	ix.Close()
	ix = openIndex(t, dir, nil) // cuts the files to the checkpoint
	for i := range uint32(ix.addrEnd.len()) {
		s, err := ix.AddressString(i)
		if err != nil {
			t.Fatal(err)
		}
		if got, err := ix.LookupAddress(s); err != nil || got != i {
			t.Fatalf("address %d (%s) looks up as %d, %v", i, s, got, err)
		}
	}
	ix.Close()
	sameFiles(t, columnFiles(t, dir), want)
}

// TestRewindThenSameBlocks undoes blocks and adds them again: the index
// must equal one that never rewound.
func TestRewindThenSameBlocks(t *testing.T) {
	blocks := chainBlocks(t, filepath.Join(simChain(t, 3_000), "blocks", "blk00000.dat"))
	straight := t.TempDir()
	ix := openIndex(t, straight, nil)
	for _, b := range blocks {
		addRaw(t, ix, b)
	}
	ix.Commit()
	ix.Close()
	want := columnFiles(t, straight)

	dir := t.TempDir()
	ix = openIndex(t, dir, func(c *Config) { c.CommitEvery = 3 })
	for _, b := range blocks {
		addRaw(t, ix, b)
	}
	keep := len(blocks) / 2
	if err := ix.Rewind(uint32(keep)); err != nil {
		t.Fatal(err)
	}
	for _, b := range blocks[keep:] {
		addRaw(t, ix, b)
	}
	ix.Commit()
	ix.Close()
	ix = openIndex(t, dir, nil)
	ix.Close()
	sameFiles(t, columnFiles(t, dir), want)
}

func TestRewindTooDeep(t *testing.T) {
	blocks := chainBlocks(t, filepath.Join(simChain(t, 2_000), "blocks", "blk00000.dat"))
	ix := openIndex(t, t.TempDir(), func(c *Config) { c.UndoDepth = 3 })
	defer ix.Close()
	for _, b := range blocks {
		addRaw(t, ix, b)
	}
	err := ix.Rewind(uint32(len(blocks) - 4))
	if !errors.Is(err, ErrTooDeep) {
		t.Fatalf("rewinding 4 blocks with 3 kept: %v, want ErrTooDeep", err)
	}
	if _, n := ix.Tip(); n != uint32(len(blocks)) {
		t.Fatalf("a refused rewind changed the tip to %d blocks", n)
	}
	if err := ix.Rewind(uint32(len(blocks) - 3)); err != nil {
		t.Fatal(err)
	}
}
