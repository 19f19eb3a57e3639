package chainindex

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/entente/entente/internal/chain"
)

// chainBlocks reads the blocks of a file written in chain order (as sim
// writes them), copied out of the reader's buffer.
func chainBlocks(t testing.TB, path string) [][]byte {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r := chain.NewBlockFileReader(f, chain.BlockFileConfig{Network: mainnet(t), Name: path})
	var out [][]byte
	for {
		fb, err := r.Next()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, bytes.Clone(fb.Bytes))
	}
}

// indexFiles reads every file of an index but the checkpoint and journal,
// whose generation depends on when commits happened.
func indexFiles(t testing.TB, dir string) map[string][]byte {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	m := map[string][]byte{}
	for _, e := range ents {
		n := e.Name()
		if n == "checkpoint" || n == "journal" || n == "lock" || strings.HasSuffix(n, ".tmp") {
			continue
		}
		b, err := os.ReadFile(filepath.Join(dir, n))
		if err != nil {
			t.Fatal(err)
		}
		m[n] = b
	}
	return m
}

// straightFiles ingests blocksDir into a new index in one go and returns
// its files: what an interrupted or pieced ingest must end with.
func straightFiles(t testing.TB, blocksDir string) map[string][]byte {
	t.Helper()
	dir := t.TempDir()
	ix := openIndex(t, dir, nil)
	ingest(t, ix, blocksDir)
	if err := ix.Close(); err != nil {
		t.Fatal(err)
	}
	return indexFiles(t, dir)
}

// TestCrashResume interrupts an ingest after a commit, damages what was
// written after it, reopens and resumes: the result must equal a clean
// ingest byte for byte.
func TestCrashResume(t *testing.T) {
	chainDir := simChain(t, 6_000)
	blocksDir := filepath.Join(chainDir, "blocks")
	blocks := chainBlocks(t, filepath.Join(blocksDir, "blk00000.dat"))
	if len(blocks) < 20 {
		t.Fatalf("only %d blocks", len(blocks))
	}

	want := straightFiles(t, blocksDir)

	tests := []struct {
		name   string
		damage func(t *testing.T, dir string)
	}{
		{"kill", func(t *testing.T, dir string) {}},
		{"garbage after every file", func(t *testing.T, dir string) {
			for name := range indexFiles(t, dir) {
				f, err := os.OpenFile(filepath.Join(dir, name), os.O_WRONLY|os.O_APPEND, 0)
				if err != nil {
					t.Fatal(err)
				}
				f.Write(bytes.Repeat([]byte{0xa5}, 1000+len(name)))
				f.Close()
			}
		}},
		{"journal not applied", func(t *testing.T, dir string) {
			// The crash came between the checkpoint rename and the in-place
			// updates: undo them in the files, the journal must redo them.
			j, err := os.ReadFile(filepath.Join(dir, "journal"))
			if err != nil {
				t.Fatal(err)
			}
			names := []string{"out.spent", "addr.last", "addr.parent", "addr.size", "addr.next"}
			n := 0
			for p := j[24 : 24+binary.LittleEndian.Uint64(j[16:])*journalRec]; len(p) > 0; p = p[journalRec:] {
				f, err := os.OpenFile(filepath.Join(dir, names[p[0]]), os.O_WRONLY, 0)
				if err != nil {
					t.Fatal(err)
				}
				f.WriteAt([]byte{0xef, 0xbe, 0xad, 0xde}, int64(binary.LittleEndian.Uint32(p[1:]))*4)
				f.Close()
				n++
			}
			if n == 0 {
				t.Fatal("empty journal: nothing to test")
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			ix := openIndex(t, dir, func(c *Config) { c.CommitEvery = 7 })
			var blk chain.Block
			half := len(blocks) / 2
			for _, b := range blocks[:half] {
				if err := blk.Parse(b); err != nil {
					t.Fatal(err)
				}
				if err := ix.AddBlock(&blk); err != nil {
					t.Fatal(err)
				}
			}
			committed := ix.ck.blocks
			if committed == 0 || committed == uint64(half) {
				t.Fatalf("committed %d of %d blocks: the crash must fall between commits", committed, half)
			}
			ix.Close() // no commit: the process died
			tt.damage(t, dir)

			ix = openIndex(t, dir, nil)
			if _, n := ix.Tip(); uint64(n) != committed {
				t.Fatalf("reopened at %d blocks, want the committed %d", n, committed)
			}
			ingest(t, ix, blocksDir)
			if err := ix.Close(); err != nil {
				t.Fatal(err)
			}
			got := indexFiles(t, dir)
			if len(got) != len(want) {
				t.Errorf("%d files, want %d", len(got), len(want))
			}
			for name, w := range want {
				if !bytes.Equal(got[name], w) {
					t.Errorf("%s differs from a clean ingest (%d bytes, want %d)", name, len(got[name]), len(w))
				}
			}
		})
	}
}

// TestBadBlocks: a block that does not connect or spends what does not
// exist is refused, and nothing of it stays.
func TestBadBlocks(t *testing.T) {
	chainDir := simChain(t, 3_000)
	blocks := chainBlocks(t, filepath.Join(chainDir, "blocks", "blk00000.dat"))
	var blk chain.Block
	parse := func(b []byte) *chain.Block {
		if err := blk.Parse(b); err != nil {
			t.Fatal(err)
		}
		return &blk
	}
	tests := []struct {
		name    string
		block   func() []byte
		wantErr error
	}{
		{"skips a block", func() []byte { return blocks[6] }, ErrNotConnected},
		{"repeats the tip", func() []byte { return blocks[4] }, ErrNotConnected},
		{"spends a missing output", func() []byte {
			b := bytes.Clone(blocks[5])
			p := parse(b)
			// Point the first input of the second tx at a txid nobody has.
			off := p.Txs[1].Offset + len(p.Txs[1].Raw) - len(p.Txs[1].Raw) + 4
			if p.Txs[1].HasWitness {
				off += 2
			}
			b[off+1] ^= 0xff
			return b
		}, ErrMissingOutput},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ix := openIndex(t, t.TempDir(), func(c *Config) { c.CommitEvery = 3 })
			defer ix.Close()
			for _, b := range blocks[:5] {
				if err := ix.AddBlock(parse(b)); err != nil {
					t.Fatal(err)
				}
			}
			before, _ := ix.Stats()
			err := ix.AddBlock(parse(tt.block()))
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
			after, _ := ix.Stats()
			if after.Blocks != 3 || after.Txs >= before.Txs {
				t.Errorf("after the fault: %d blocks, %d txs; want the 3 committed blocks", after.Blocks, after.Txs)
			}
		})
	}
}

func TestReadOnlyRefusesWrites(t *testing.T) {
	dir := t.TempDir()
	ix := openIndex(t, dir, nil)
	ix.Close()
	ro := openIndex(t, dir, func(c *Config) { c.ReadOnly = true })
	defer ro.Close()
	if err := ro.Commit(); !errors.Is(err, ErrReadOnly) {
		t.Errorf("Commit: %v", err)
	}
	if _, err := Open(context.Background(), Config{Dir: t.TempDir(), Network: mainnet(t), ReadOnly: true}); !errors.Is(err, ErrNotFound) {
		t.Errorf("read-only open of an empty dir: %v", err)
	}
	if _, err := Open(context.Background(), Config{Dir: dir, Network: chain.Network{Name: "regtest"}}); err == nil {
		t.Error("opened a mainnet index as regtest")
	}
	w := openIndex(t, dir, nil)
	defer w.Close()
	if _, err := Open(context.Background(), Config{Dir: dir, Network: mainnet(t)}); err == nil || !strings.Contains(err.Error(), "in use by another ingest") {
		t.Errorf("second writer: %v", err)
	}
}

// TestIngestKeepsBlocksBeforeAFault: a block spending a missing output
// stops Ingest with an error naming the file, offset and transaction, and
// every block before it stays indexed, across the rollback to the last
// commit.
func TestIngestKeepsBlocksBeforeAFault(t *testing.T) {
	chainDir := simChain(t, 3_000)
	whole, err := os.ReadFile(filepath.Join(chainDir, "blocks", "blk00000.dat"))
	if err != nil {
		t.Fatal(err)
	}
	const bad = 6
	off := 0
	for range bad {
		off += 8 + int(binary.LittleEndian.Uint32(whole[off+4:]))
	}
	size := int(binary.LittleEndian.Uint32(whole[off+4:]))
	blk, err := chain.ParseBlock(whole[off+8 : off+8+size])
	if err != nil {
		t.Fatal(err)
	}
	tx := blk.Txs[1]
	in := off + 8 + tx.Offset + 4 + 1 // version, input count
	if tx.HasWitness {
		in += 2
	}
	damaged := bytes.Clone(whole)
	damaged[in] ^= 0xff // the first input's previous txid
	if blk, err = chain.ParseBlock(damaged[off+8 : off+8+size]); err != nil {
		t.Fatal(err)
	}
	badTx := blk.Txs[1].TxID

	blocksDir := filepath.Join(t.TempDir(), "blocks")
	os.Mkdir(blocksDir, 0o755)
	if err := os.WriteFile(filepath.Join(blocksDir, "blk00000.dat"), damaged, 0o644); err != nil {
		t.Fatal(err)
	}
	src, err := OpenSource(blocksDir)
	if err != nil {
		t.Fatal(err)
	}
	ix := openIndex(t, t.TempDir(), func(c *Config) { c.CommitEvery = 4 })
	defer ix.Close()
	_, err = ix.Ingest(context.Background(), src)
	if !errors.Is(err, ErrMissingOutput) || !strings.Contains(err.Error(), "blk00000.dat at offset") || !strings.Contains(err.Error(), "tx "+badTx.String()+" input 0") {
		t.Fatalf("err = %v", err)
	}
	if _, n := ix.Tip(); n != bad {
		t.Errorf("%d blocks indexed, want the %d before the fault", n, bad)
	}
	if ix.ck.blocks != bad {
		t.Errorf("%d blocks committed, want %d", ix.ck.blocks, bad)
	}
}

// TestIngestPrunedBlocks: block files that start past genesis (a pruned
// node's, or a chain handed over in parts) continue the index from its
// tip, whether or not they repeat it, and end where a straight ingest
// does.
func TestIngestPrunedBlocks(t *testing.T) {
	chainDir := simChain(t, 3_000)
	blocksDir := filepath.Join(chainDir, "blocks")
	want := straightFiles(t, blocksDir)

	whole, err := os.ReadFile(filepath.Join(blocksDir, "blk00000.dat"))
	if err != nil {
		t.Fatal(err)
	}
	// Frame offsets of each block in the file.
	var offs []int
	for off := 0; off+8 <= len(whole) && binary.LittleEndian.Uint32(whole[off:]) != 0; {
		offs = append(offs, off)
		off += 8 + int(binary.LittleEndian.Uint32(whole[off+4:]))
	}
	offs = append(offs, len(whole))
	part := func(from, to int) string {
		dir := filepath.Join(t.TempDir(), "blocks")
		os.Mkdir(dir, 0o755)
		if err := os.WriteFile(filepath.Join(dir, "blk00000.dat"), whole[offs[from]:offs[to]], 0o644); err != nil {
			t.Fatal(err)
		}
		return dir
	}
	n := len(offs) - 1
	for _, c := range []struct {
		name   string
		second int // first block of the second part
	}{{"after the tip", n / 2}, {"repeating the tip", n/2 - 3}} {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			ix := openIndex(t, dir, nil)
			if st := ingest(t, ix, part(0, n/2)); st.Blocks != n/2 {
				t.Fatalf("first part: %d blocks", st.Blocks)
			}
			st := ingest(t, ix, part(c.second, n))
			if st.Blocks != n-n/2 || st.Stale != 0 {
				t.Errorf("second part: %d blocks, %d stale; want %d, 0", st.Blocks, st.Stale, n-n/2)
			}
			ix.Close()
			sameFiles(t, indexFiles(t, dir), want)
		})
	}
	// Files that start past the tip, with blocks missing between, are
	// refused with the reason.
	gap := openIndex(t, t.TempDir(), nil)
	defer gap.Close()
	ingest(t, gap, part(0, n/2))
	gapSrc, err := OpenSource(part(n/2+2, n))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := gap.Ingest(context.Background(), gapSrc); !errors.Is(err, ErrNotConnected) || !strings.Contains(err.Error(), "follows the index's tip") {
		t.Errorf("files past a gap: %v", err)
	}
	if _, h := gap.Tip(); int(h) != n/2 {
		t.Errorf("after refusing files past a gap the index has %d blocks, want %d", h, n/2)
	}
	// Without an index to continue, such files are refused.
	ix := openIndex(t, t.TempDir(), nil)
	defer ix.Close()
	src, err := OpenSource(part(n/2, n))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ix.Ingest(context.Background(), src); !errors.Is(err, ErrNotConnected) {
		t.Errorf("files without genesis on an empty index: %v", err)
	}
}
