package chain

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
)

// firstRecords returns the first n records of the real blk file, with the
// file offset just after them.
func firstRecords(t *testing.T, n int) []byte {
	t.Helper()
	data := readTestdata(t, blkFile)
	fr := NewBlockFileReader(bytes.NewReader(data), BlockFileConfig{Network: mainnet(t)})
	var end int64
	for range n {
		fb, err := fr.Next()
		if err != nil {
			t.Fatal(err)
		}
		end = fb.Offset + int64(len(fb.Bytes))
	}
	return data[:end]
}

func readAll(data []byte, cfg BlockFileConfig) ([]FileBlock, error) {
	fr := NewBlockFileReader(bytes.NewReader(data), cfg)
	var out []FileBlock
	for {
		fb, err := fr.Next()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return out, err
		}
		fb.Bytes = bytes.Clone(fb.Bytes)
		out = append(out, fb)
	}
}

func xor(data []byte, key [8]byte, off int64) []byte {
	out := bytes.Clone(data)
	for i := range out {
		out[i] ^= key[(off+int64(i))%8]
	}
	return out
}

func TestBlockFileReader(t *testing.T) {
	main := mainnet(t)
	testnet, _ := ParseNetwork("testnet")
	plain := firstRecords(t, 3)
	key := [8]byte{0x5e, 0x01, 0xa7, 0xff, 0x00, 0x33, 0x80, 0x12}
	rec2 := 8 + 285 // the second record starts after the genesis record

	tests := []struct {
		name       string
		data       []byte
		cfg        BlockFileConfig
		wantBlocks int
		wantErr    string // substring; "" for a clean end
		wantOffset int64
	}{
		{"plain", plain, BlockFileConfig{Network: main}, 3, "", 0},
		{"zero padding", append(bytes.Clone(plain), make([]byte, 5000)...), BlockFileConfig{Network: main}, 3, "", 0},
		{"short zero padding", append(bytes.Clone(plain), 0, 0, 0), BlockFileConfig{Network: main}, 3, "", 0},
		{"xor", xor(append(bytes.Clone(plain), make([]byte, 64)...), key, 0), BlockFileConfig{Network: main, XORKey: key}, 3, "", 0},
		{"xor from offset", xor(plain[rec2:], key, int64(rec2)), BlockFileConfig{Network: main, XORKey: key, Offset: int64(rec2)}, 2, "", 0},
		{"xor key missing", xor(plain, key, 0), BlockFileConfig{Network: main, Name: "blk00000.dat"}, 0, "blk00000.dat at offset 0: magic", 0},
		{"wrong network", plain, BlockFileConfig{Network: testnet}, 0, "magic f9beb4d9 is not testnet's", 0},
		{"data after padding", append(append(bytes.Clone(plain), make([]byte, 10)...), 1), BlockFileConfig{Network: main}, 3, "data after zero padding", int64(len(plain) + 10)},
		{"truncated last block", plain[:len(plain)-1], BlockFileConfig{Network: main, Name: "blk00001.dat"}, 2, "blk00001.dat at offset", int64(rec2 + 8 + 215)},
		{"truncated record header", plain[:rec2+5], BlockFileConfig{Network: main}, 1, "truncated record header", int64(rec2)},
		{"length too big", append(bytes.Clone(plain[:rec2+4]), 0x01, 0x09, 0x3d, 0x00), BlockFileConfig{Network: main}, 1, "block length 4000001", int64(rec2)},
		{"length too small", append(bytes.Clone(plain[:rec2+4]), 79, 0, 0, 0), BlockFileConfig{Network: main}, 1, "block length 79", int64(rec2)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := readAll(tt.data, tt.cfg)
			if len(got) != tt.wantBlocks {
				t.Errorf("%d blocks, want %d", len(got), tt.wantBlocks)
			}
			if tt.wantErr == "" {
				if err != nil {
					t.Fatal(err)
				}
				for _, fb := range got {
					if _, err := ParseBlock(fb.Bytes); err != nil {
						t.Errorf("block at %d: %v", fb.Offset, err)
					}
				}
				return
			}
			var fe *FileError
			if !errors.As(err, &fe) || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("error %v, want *FileError containing %q", err, tt.wantErr)
			}
			if fe.Offset != tt.wantOffset {
				t.Errorf("offset %d, want %d", fe.Offset, tt.wantOffset)
			}
		})
	}
}

func TestBlockFileOffsets(t *testing.T) {
	data := firstRecords(t, 50)
	got, err := readAll(data, BlockFileConfig{Network: mainnet(t)})
	if err != nil {
		t.Fatal(err)
	}
	for _, fb := range got {
		if !bytes.Equal(data[fb.Offset:fb.Offset+int64(len(fb.Bytes))], fb.Bytes) || !bytes.Equal(data[fb.Offset-8:fb.Offset-4], []byte{0xf9, 0xbe, 0xb4, 0xd9}) {
			t.Fatalf("block at %d is not where the reader says", fb.Offset)
		}
	}
}

// TestBlockFileTruncatedEverywhere cuts a file at every offset: a clean
// end exactly at record boundaries, else a *FileError, never a panic.
func TestBlockFileTruncatedEverywhere(t *testing.T) {
	data := firstRecords(t, 4)
	bounds := map[int]int{0: 0}
	if got, err := readAll(data, BlockFileConfig{Network: mainnet(t)}); err == nil {
		for i, fb := range got {
			bounds[int(fb.Offset)+len(fb.Bytes)] = i + 1
		}
	}
	for i := range len(data) {
		got, err := readAll(data[:i], BlockFileConfig{Network: mainnet(t)})
		want, boundary := bounds[i]
		var fe *FileError
		switch {
		case boundary && (err != nil || len(got) != want):
			t.Fatalf("cut at %d (record boundary): %d blocks, %v", i, len(got), err)
		case !boundary && !errors.As(err, &fe):
			t.Fatalf("cut at %d: error %v, want *FileError", i, err)
		}
	}
}

func TestParseXORKey(t *testing.T) {
	tests := []struct {
		in      []byte
		wantErr bool
	}{
		{make([]byte, 8), false}, {[]byte{1, 2, 3, 4, 5, 6, 7, 8}, false}, {nil, true}, {make([]byte, 9), true},
	}
	for _, tt := range tests {
		k, err := ParseXORKey(tt.in)
		if (err != nil) != tt.wantErr || (err == nil && !bytes.Equal(k[:], tt.in)) {
			t.Errorf("ParseXORKey(%x) = %x, %v", tt.in, k, err)
		}
	}
}

func TestBlockFileErrorSticky(t *testing.T) {
	plain := firstRecords(t, 2)
	fr := NewBlockFileReader(bytes.NewReader(plain[:len(plain)-1]), BlockFileConfig{Network: mainnet(t)})
	if _, err := fr.Next(); err != nil {
		t.Fatal(err)
	}
	_, err1 := fr.Next()
	_, err2 := fr.Next()
	if err1 == nil || err1 != err2 {
		t.Errorf("errors %v then %v, want the same error twice", err1, err2)
	}
}
