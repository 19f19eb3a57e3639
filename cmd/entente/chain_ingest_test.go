package main

import (
	"encoding/binary"
	"encoding/hex"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/entente/entente/internal/chain"
)

// evidenceBlocks returns mainnet blocks 0 to 3, raw.
func evidenceBlocks(t *testing.T) [][]byte {
	t.Helper()
	var bs [][]byte
	for _, n := range []string{"0", "1", "2", "3"} {
		b, err := os.ReadFile("testdata/evidence/" + n + ".blk")
		if err != nil {
			t.Fatal(err)
		}
		bs = append(bs, b)
	}
	return bs
}

// TestRawSameIndex: the same blocks as raw files, as hex files and in a
// Bitcoin Core blk file give the same index, as the chain commands see it.
func TestRawSameIndex(t *testing.T) {
	dir := t.TempDir()
	blocks := evidenceBlocks(t)
	var rawFiles, hexFiles []string
	var blk []byte
	net, err := chain.ParseNetwork("mainnet")
	if err != nil {
		t.Fatal(err)
	}
	// Given newest first: the order they connect in is found.
	for i := len(blocks) - 1; i >= 0; i-- {
		b := blocks[i]
		r, h := filepath.Join(dir, "b"+string(rune('0'+i))+".blk"), filepath.Join(dir, "b"+string(rune('0'+i))+".hex")
		if err := os.WriteFile(r, b, 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(h, []byte(hex.EncodeToString(b)+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		rawFiles, hexFiles = append(rawFiles, r), append(hexFiles, h)
	}
	for _, b := range blocks {
		blk = append(blk, net.Magic[:]...)
		blk = binary.LittleEndian.AppendUint32(blk, uint32(len(b)))
		blk = append(blk, b...)
	}
	if err := os.MkdirAll(filepath.Join(dir, "blocks"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "blocks", "blk00000.dat"), blk, 0o644); err != nil {
		t.Fatal(err)
	}

	ingests := map[string][]string{
		"raw":    {"--raw", strings.Join(rawFiles, ",")},
		"hex":    {"--raw", strings.Join(hexFiles[:2], ","), "--raw", strings.Join(hexFiles[2:], ",")},
		"blocks": {"--blocks", filepath.Join(dir, "blocks")},
	}
	views := map[string][]string{}
	for name, flags := range ingests {
		data := filepath.Join(dir, "data-"+name)
		stdout, _, err := runCmd(t, append([]string{"chain", "ingest", "--data", data}, flags...)...)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if !strings.HasSuffix(stdout, "indexed 4 blocks, 4 transactions\n") {
			t.Errorf("%s: ingest printed %q", name, stdout)
		}
		var view []string
		for _, args := range [][]string{
			{"chain", "stats", "--json"},
			{"chain", "address", "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa", "--json"}, // genesis
			{"chain", "address", "12c6DSiU4Rq3P4ZxziKxzrL5LmMBrzjrJX", "--json"}, // block 1
			{"chain", "address", "1FvzCLoTPGANNjWoUo6jUGuAG3wg1w4YjR", "--json"}, // block 3
			{"chain", "cluster", "1FvzCLoTPGANNjWoUo6jUGuAG3wg1w4YjR", "--json"},
		} {
			out, _, err := runCmd(t, append(args, "--data", data)...)
			if err != nil {
				t.Fatalf("%s: %s: %v", name, args, err)
			}
			view = append(view, out)
		}
		views[name] = view
	}
	if !strings.Contains(views["raw"][0], `"blocks": 4,`) || !strings.Contains(views["raw"][3], `"received": 5000000000,`) {
		t.Fatalf("raw index:\n%s", strings.Join(views["raw"], ""))
	}
	for _, name := range []string{"hex", "blocks"} {
		if !slices.Equal(views[name], views["raw"]) {
			t.Errorf("%s index differs from raw:\n%s\nraw:\n%s", name, strings.Join(views[name], ""), strings.Join(views["raw"], ""))
		}
	}
}

// TestRawTooBig: files that cannot hold one block are refused by size,
// naming the file, before they are decoded.
func TestRawTooBig(t *testing.T) {
	dir := t.TempDir()
	sparse := filepath.Join(dir, "disk-image.dd")
	f, err := os.Create(sparse)
	if err != nil {
		t.Fatal(err)
	}
	// Sparse: refused by its size without a byte being read.
	if err := f.Truncate(1 << 40); err != nil {
		t.Fatal(err)
	}
	f.Close()
	rawBig := filepath.Join(dir, "big.blk")
	if err := os.WriteFile(rawBig, make([]byte, chain.MaxBlockSize+1), 0o644); err != nil {
		t.Fatal(err)
	}
	hexBig := filepath.Join(dir, "big.hex")
	if err := os.WriteFile(hexBig, []byte(strings.Repeat("00", chain.MaxBlockSize+1)), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		file, want string
	}{
		{sparse, sparse + ": 1099511627776 bytes, more than the 8250016 bytes an evidence file may have"},
		{rawBig, rawBig + ": 4000001 bytes, more than a block's largest size of 4000000 bytes"},
		{hexBig, hexBig + ": hex of 4000001 bytes, more than a block's largest size of 4000000 bytes"},
		// A device has no size: reading stops at the bound.
		{"/dev/zero", "/dev/zero: more than the 8250016 bytes an evidence file may have"},
	}
	for _, tt := range tests {
		if _, err := os.Stat(tt.file); err != nil {
			t.Fatal(err)
		}
		for _, cmd := range [][]string{{"chain", "ingest", "--data", filepath.Join(dir, "d"), "--raw", tt.file}, {"chain", "decode", tt.file}} {
			_, _, err := runCmd(t, cmd...)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("%s: %v, want %q", cmd, err, tt.want)
			}
		}
	}
}

// TestRawUsage: --raw and --blocks exclude each other, and one is needed.
func TestRawUsage(t *testing.T) {
	for _, args := range [][]string{
		{"chain", "ingest", "--raw", "a.hex", "--blocks", "blocks"},
		{"chain", "ingest"},
		{"chain", "ingest", "--raw", "a.hex,,b.hex"},
	} {
		_, _, err := runCmd(t, append(args, "--data", t.TempDir())...)
		if _, ok := err.(*usageError); !ok {
			t.Errorf("%q: %v, want a usage error", args, err)
		}
	}
}

func TestConnectOrder(t *testing.T) {
	h := func(n byte) chainhash.Hash { return chainhash.Hash{n} }
	// b(n, p) is block n on block p; 0 is the all-zero hash.
	b := func(n, p byte) evidenceBlock {
		return evidenceBlock{file: string(rune('a' + n)), hash: h(n), prev: h(p)}
	}
	tests := []struct {
		name string
		in   []evidenceBlock
		want []int
	}{
		{"in order", []evidenceBlock{b(1, 0), b(2, 1), b(3, 2)}, []int{0, 1, 2}},
		{"reversed", []evidenceBlock{b(3, 2), b(2, 1), b(1, 0)}, []int{2, 1, 0}},
		{"shuffled", []evidenceBlock{b(2, 1), b(4, 3), b(1, 0), b(3, 2)}, []int{2, 0, 3, 1}},
		// Two runs, each on a block of the index: given order between runs.
		{"two runs", []evidenceBlock{b(21, 20), b(11, 10), b(12, 11), b(22, 21)}, []int{0, 3, 1, 2}},
		// A fork: the first child given, its descendants, then the other.
		{"fork", []evidenceBlock{b(3, 1), b(2, 1), b(1, 0), b(4, 2)}, []int{2, 0, 1, 3}},
		// A block given twice: the second copy after the first's descendants.
		{"duplicate", []evidenceBlock{b(2, 1), b(1, 0), b(2, 1), b(3, 2)}, []int{1, 0, 3, 2}},
		{"none", nil, []int{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := connectOrder(tt.in); !slices.Equal(got, tt.want) {
				t.Errorf("connectOrder = %v, want %v", got, tt.want)
			}
		})
	}
}
