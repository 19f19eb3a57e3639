package chainindex

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"path/filepath"
	"testing"

	"github.com/entente/entente/internal/chain"
	"github.com/entente/entente/internal/sim"
)

// FuzzParseAddress: any string either fails or is the canonical spelling
// of the key it parses to.
func FuzzParseAddress(f *testing.F) {
	for _, s := range []string{
		"1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa", "3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy",
		"bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq", "BC1QAR0SRRR7XFKVY5L643LYDNW9RE59GTZZWF5MDQ",
		"bc1p5d7rjq7g6rdk2yhzks9smlaqtedr4dekq08ge8ztwac72sfr9rusxg3297",
		"bc1sw50qgdz25j", "tb1qw508d6qejxtdg4y5r3zarvary0c5xw7kxpjzsx", "", "1",
	} {
		f.Add(s)
	}
	net := mainnet(f)
	f.Fuzz(func(t *testing.T, s string) {
		key, err := parseAddress(net, s)
		if err != nil {
			if !errors.Is(err, ErrBadAddress) {
				t.Fatalf("error %v is not ErrBadAddress", err)
			}
			return
		}
		back, err := keyString(net, key)
		if err != nil || back != s {
			t.Fatalf("%q parsed to %x, which encodes as %q (%v)", s, key, back, err)
		}
	})
}

// FuzzCheckpoint: a checkpoint decodes only if it encodes back to the
// same bytes; one of format 3 only if it is format 4 without the tables'
// synced bounds, which are then the counts.
func FuzzCheckpoint(f *testing.F) {
	ck := checkpoint{generation: 3, blocks: 10, txs: 20, addrs: 7, txidSynced: 20, addrSynced: 7, tip: [32]byte{1}}
	copy(ck.network[:], "mainnet")
	f.Add(ck.marshal())
	f.Add(checkpoint3(ck.marshal()))
	f.Add([]byte("ENTCKPT1"))
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := unmarshalCheckpoint(b)
		if err != nil {
			return
		}
		want := b
		if string(b[:8]) == "ENTCKPT3" {
			if c.txidSynced != c.txs || c.addrSynced != c.addrs {
				t.Fatalf("format 3 read with synced bounds %d, %d for %d txs, %d addresses", c.txidSynced, c.addrSynced, c.txs, c.addrs)
			}
			want = checkpoint3(c.marshal())
		}
		if !bytes.Equal(c.marshal(), b) && !bytes.Equal(want, b) {
			t.Fatal("round trip differs")
		}
	})
}

// checkpoint3 rewrites a format 4 checkpoint in format 3: no synced
// bounds.
func checkpoint3(b []byte) []byte {
	const bounds = 8 + 12*8
	v3 := append([]byte("ENTCKPT3"), b[8:bounds]...)
	v3 = append(v3, b[bounds+16:len(b)-32]...)
	sum := sha256.Sum256(v3)
	return append(v3, sum[:]...)
}

// FuzzAddBlock feeds a fresh index blocks 0..2 of a small synthetic chain, then
// a mutated block 3: whatever the bytes, AddBlock refuses or takes the
// block whole, and never panics; a refused block leaves the committed
// blocks.
func FuzzAddBlock(f *testing.F) {
	dir := f.TempDir()
	if _, err := sim.Generate(context.Background(), dir, sim.Config{Seed: 1, Txs: 300, TxsPerBlock: 20, Individuals: 100}); err != nil {
		f.Fatal(err)
	}
	blocks := chainBlocks(f, filepath.Join(dir, "blocks", "blk00000.dat"))
	f.Add(blocks[3], 0, byte(0))
	f.Add(blocks[3], 200, byte(0xff))
	f.Add(blocks[3], 90, byte(1))
	f.Fuzz(func(t *testing.T, b []byte, at int, x byte) {
		if at >= 0 && at < len(b) {
			b = bytes.Clone(b)
			b[at] ^= x
		}
		var blk chain.Block
		if blk.Parse(b) != nil {
			return
		}
		ix := openIndex(t, t.TempDir(), func(c *Config) { c.CommitEvery = 3 })
		defer ix.Close()
		for _, raw := range blocks[:3] {
			var p chain.Block
			if err := p.Parse(raw); err != nil {
				t.Fatal(err)
			}
			if err := ix.AddBlock(&p); err != nil {
				t.Fatal(err)
			}
		}
		if err := ix.AddBlock(&blk); err != nil {
			if _, n := ix.Tip(); n != 3 {
				t.Fatalf("after a refused block the index has %d blocks, want 3", n)
			}
			return
		}
		if _, n := ix.Tip(); n != 4 {
			t.Fatalf("after an accepted block the index has %d blocks", n)
		}
	})
}

// FuzzJournal feeds journals of any bytes to the reader: it must refuse
// them with an error, never panic or allocate past the input, and what it
// accepts must marshal back to the same undo section.
func FuzzJournal(f *testing.F) {
	good := marshalJournal(7, nil, []undoBlock{{addrs: 3, merges: 1, recs: []byte{2, 1, 0, 0, 0, 0, 0, 0, 0}}})
	f.Add(good, uint64(7))
	f.Add(good[:30], uint64(7))
	f.Add([]byte("ENTJRNL2"), uint64(0))
	f.Fuzz(func(t *testing.T, b []byte, gen uint64) {
		redo, undo, err := splitJournal(b, gen)
		if err != nil {
			return
		}
		if len(redo)%journalRec != 0 {
			t.Fatalf("redo section of %d bytes", len(redo))
		}
		blocks, err := parseUndo(undo, 1<<20)
		if err != nil {
			return
		}
		if got := appendUndo(nil, blocks); string(got) != string(undo) {
			t.Fatalf("undo section does not round-trip: %x, then %x", undo, got)
		}
	})
}
