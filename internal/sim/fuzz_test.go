package sim

import (
	"context"
	"errors"
	"testing"

	"github.com/btcsuite/btcd/chaincfg"
)

// FuzzGenerate runs the generator on arbitrary small configurations: it
// must either refuse the config with ErrConfig or write exactly the asked
// number of transactions in blocks that decode and chain, whatever the
// profile. The package parses no outside input, so its configuration is
// what a hostile caller controls.
func FuzzGenerate(f *testing.F) {
	f.Add(uint64(1), uint16(500), uint16(50), uint16(100), uint8(0))
	f.Add(uint64(2), uint16(10), uint16(5), uint16(100), uint8(1))
	f.Add(uint64(3), uint16(9), uint16(0), uint16(0), uint8(2))
	f.Add(uint64(4), uint16(3000), uint16(4000), uint16(150), uint8(3))
	f.Add(uint64(5), uint16(3000), uint16(30), uint16(100), uint8(2))
	f.Fuzz(func(t *testing.T, seed uint64, txs, perBlock, people uint16, prof uint8) {
		cfg := Config{Seed: seed, Txs: int(txs % 4000), TxsPerBlock: int(perBlock), Individuals: int(people),
			Profile: Profiles()[int(prof)%len(profiles)], Network: &chaincfg.RegressionNetParams}
		dir := t.TempDir()
		st, err := Generate(context.Background(), dir, cfg)
		if err != nil {
			if !errors.Is(err, ErrConfig) {
				t.Fatalf("%+v: %v", cfg, err)
			}
			return
		}
		blocks := readBlocks(t, dir, uint32(chaincfg.RegressionNetParams.Net))
		n := 0
		for _, b := range blocks {
			n += len(b.Transactions)
		}
		if n != cfg.Txs || st.Txs != cfg.Txs || len(blocks) != st.Blocks {
			t.Fatalf("%+v: %d txs in %d blocks, Stats %+v", cfg, n, len(blocks), st)
		}
	})
}
