package chainindex

import (
	"compress/gzip"
	"context"
	"errors"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"github.com/entente/entente/internal/chain"
)

func mainnet(t testing.TB) chain.Network {
	t.Helper()
	n, err := chain.ParseNetwork("mainnet")
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// mainnetBlocks gunzips the real blk file into a blocks directory.
func mainnetBlocks(t testing.TB) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "blocks")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	in, err := os.Open("../chain/testdata/blk_0_to_14131.dat.gz") // the chain package keeps the real blocks
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	zr, err := gzip.NewReader(in)
	if err != nil {
		t.Fatal(err)
	}
	out, err := os.Create(filepath.Join(dir, "blk00000.dat"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(out, zr); err != nil {
		t.Fatal(err)
	}
	if err := out.Close(); err != nil {
		t.Fatal(err)
	}
	return dir
}

// seeded is a deterministic Config.Rand, so two indexes can be compared
// byte for byte.
type seeded struct{ r *rand.ChaCha8 }

func (s seeded) Read(p []byte) (int, error) { return s.r.Read(p) }

func newSeeded() io.Reader { return seeded{rand.NewChaCha8([32]byte{1})} }

func openIndex(t testing.TB, dir string, mod func(*Config)) *Index {
	t.Helper()
	cfg := Config{Dir: dir, Network: mainnet(t), Rand: newSeeded()}
	if mod != nil {
		mod(&cfg)
	}
	ix, err := Open(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	return ix
}

func ingest(t testing.TB, ix *Index, blocks string) IngestStats {
	t.Helper()
	src, err := OpenSource(blocks)
	if err != nil {
		t.Fatal(err)
	}
	st, err := ix.Ingest(context.Background(), src)
	if err != nil {
		t.Fatal(err)
	}
	return st
}

func TestMainnetCounts(t *testing.T) {
	blocks := mainnetBlocks(t)
	dir := t.TempDir()
	ix := openIndex(t, dir, func(c *Config) { c.CommitEvery = 5000 })
	ingest(t, ix, blocks)
	if err := ix.Close(); err != nil {
		t.Fatal(err)
	}

	ro := openIndex(t, dir, func(c *Config) { c.ReadOnly = true })
	defer ro.Close()
	st, err := ro.Stats()
	if err != nil {
		t.Fatal(err)
	}
	want := Stats{Blocks: 14132, Height: 14131, Txs: 14247, Inputs: 14997, Outputs: 14282}
	if st.Blocks != want.Blocks || st.Height != want.Height || st.Txs != want.Txs || st.Inputs != want.Inputs || st.Outputs != want.Outputs {
		t.Errorf("stats = %+v, want %+v", st, want)
	}
	if st.Clusters > st.Addresses || st.Addresses == 0 {
		t.Errorf("clusters %d of %d addresses", st.Clusters, st.Addresses)
	}

	tests := []struct {
		addr         string
		wantID       uint32
		wantReceived int64
		wantOutputs  int
		wantErr      error
	}{
		{addr: "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa", wantID: 0, wantReceived: 5_000_000_000, wantOutputs: 1},
		// Block 1's coinbase, a P2PK output shown as its P2PKH address.
		{addr: "12c6DSiU4Rq3P4ZxziKxzrL5LmMBrzjrJX", wantID: 1, wantReceived: 5_000_000_000, wantOutputs: 1},
		{addr: "1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2", wantErr: ErrNotFound},
		{addr: "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq", wantErr: ErrNotFound},
		{addr: "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNb", wantErr: ErrBadAddress},
		{addr: "tb1qw508d6qejxtdg4y5r3zarvary0c5xw7kxpjzsx", wantErr: ErrBadAddress},
		{addr: "", wantErr: ErrBadAddress},
	}
	for _, tt := range tests {
		t.Run(tt.addr, func(t *testing.T) {
			a, err := ro.AddressInfo(tt.addr, 10)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
			if err != nil {
				return
			}
			if a.ID != tt.wantID || a.Received != tt.wantReceived || a.Outputs != tt.wantOutputs || a.Balance != a.Received-a.Spent {
				t.Errorf("got %+v", a)
			}
			if a.Cluster != a.ID || a.Size != 1 {
				t.Errorf("coinbase-only address in cluster %d of size %d", a.Cluster, a.Size)
			}
		})
	}
	// The first spend on chain: block 170 pays Hal Finney from Satoshi's
	// block 9 coinbase.
	a, err := ro.AddressInfo("12cbQLTFMXRnSzktFkuoG3eHoMeFtpTu3S", 10)
	if err != nil {
		t.Fatal(err)
	}
	if a.Spent == 0 || len(a.List) == 0 || a.List[len(a.List)-1].Height != 9 {
		t.Errorf("block 9 address: %+v", a)
	}
	t.Logf("%+v", st)
}
