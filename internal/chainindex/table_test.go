package chainindex

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/entente/entente/internal/chain"
)

// TestTablesLag: between the commits of a long ingest the hash table
// files lag behind the columns. A reader opened beside the writer must
// still find every committed transaction and address, and a writer that
// reopens (after a crash: nothing is written on close) must find them and
// end with the tables of a straight ingest, byte for byte.
func TestTablesLag(t *testing.T) {
	chainDir := simChain(t, 6_000)
	blocksDir := filepath.Join(chainDir, "blocks")
	want := straightFiles(t, blocksDir)

	dir := t.TempDir()
	w := openIndex(t, dir, func(c *Config) { c.CommitEvery = 3 })
	blocks := chainBlocks(t, filepath.Join(blocksDir, "blk00000.dat"))
	var blk chain.Block
	for _, b := range blocks[:len(blocks)-2] {
		if err := blk.Parse(b); err != nil {
			t.Fatal(err)
		}
		if err := w.AddBlock(&blk); err != nil {
			t.Fatal(err)
		}
	}
	if w.ck.txidSynced >= w.ck.txs || w.ck.addrSynced >= w.ck.addrs {
		t.Fatalf("the tables were written back at every commit (synced %d of %d txs, %d of %d addresses); the test needs them to lag",
			w.ck.txidSynced, w.ck.txs, w.ck.addrSynced, w.ck.addrs)
	}
	committedTxs, committedAddrs := uint32(w.ck.txs), uint32(w.ck.addrs)

	check := func(name string, ix *Index) {
		t.Helper()
		for id := range committedTxs {
			txid := ix.TxID(id)
			got, ok := ix.findTx(sipHash(txid[:], &ix.key), txid)
			if !ok || got != id {
				t.Fatalf("%s: tx %d (%s): found %d, %v", name, id, txid, got, ok)
			}
		}
		for id := range committedAddrs {
			s, err := ix.AddressString(id)
			if err != nil {
				t.Fatal(err)
			}
			got, err := ix.LookupAddress(s)
			if err != nil || got != id {
				t.Fatalf("%s: address %d (%s): found %d, %v", name, id, s, got, err)
			}
		}
	}
	r := openIndex(t, dir, func(c *Config) { c.ReadOnly = true })
	if r.txidTab.later == nil || r.addrTab.later == nil {
		t.Error("the reader has no ids to list beside the files")
	}
	check("reader", r)
	if len(r.txidTab.extra) == 0 || len(r.addrTab.extra) == 0 {
		t.Errorf("the reader lists %d txids and %d addresses beside the files; want some of each", len(r.txidTab.extra), len(r.addrTab.extra))
	}
	r.Close()

	// Close without a commit, as a crash would; the committed blocks must
	// all be found, and the ingest end as a straight one.
	w.Close()
	w = openIndex(t, dir, nil)
	if _, h := w.Tip(); h == 0 || uint32(w.ck.txs) != committedTxs {
		t.Fatalf("reopened at %d blocks, %d txs; want the %d committed txs", h, w.ck.txs, committedTxs)
	}
	check("reopened writer", w)
	ingest(t, w, blocksDir)
	w.Close()
	got := indexFiles(t, dir)
	for _, n := range []string{"txid.ht", "addr.ht"} {
		if string(got[n]) != string(want[n]) {
			t.Errorf("%s differs from a straight ingest", n)
		}
	}
}

// TestTableFileDamaged: a table file cut short is rebuilt from the
// columns by the next writer.
func TestTableFileDamaged(t *testing.T) {
	chainDir := simChain(t, 2_000)
	dir := t.TempDir()
	ix := openIndex(t, dir, nil)
	ingest(t, ix, filepath.Join(chainDir, "blocks"))
	want := indexFiles(t, dir)
	ix.Close()
	if err := os.Truncate(filepath.Join(dir, "addr.ht"), 100); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(t.Context(), Config{Dir: dir, Network: mainnet(t), ReadOnly: true}); err == nil {
		t.Error("a reader opened a damaged table")
	}
	ix = openIndex(t, dir, nil)
	ix.Close()
	if got := indexFiles(t, dir); string(got["addr.ht"]) != string(want["addr.ht"]) {
		t.Error("the rebuilt addr.ht differs")
	}
}

// TestStatsCountsIndexFiles: the index's size is its own files', not the
// node's tags or the resolutions kept beside them in the same directory.
func TestStatsCountsIndexFiles(t *testing.T) {
	dir := t.TempDir()
	ix := openIndex(t, dir, nil)
	defer ix.Close()
	ingest(t, ix, filepath.Join(simChain(t, 1_000), "blocks"))
	before, err := ix.Stats()
	if err != nil {
		t.Fatal(err)
	}
	var sum int64
	for _, b := range indexFiles(t, dir) {
		sum += int64(len(b))
	}
	if fi, err := os.Stat(filepath.Join(dir, "checkpoint")); err == nil {
		sum += fi.Size()
	}
	if fi, err := os.Stat(filepath.Join(dir, "journal")); err == nil {
		sum += fi.Size()
	}
	if before.Bytes != sum {
		t.Errorf("Stats counts %d bytes, the index files hold %d", before.Bytes, sum)
	}
	os.WriteFile(filepath.Join(dir, "tags.jsonl"), make([]byte, 5000), 0o644)
	after, err := ix.Stats()
	if err != nil {
		t.Fatal(err)
	}
	if after.Bytes != before.Bytes {
		t.Errorf("a tag file beside the index changed its size from %d to %d bytes", before.Bytes, after.Bytes)
	}
}
