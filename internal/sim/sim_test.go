package sim

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/btcsuite/btcd/blockchain"
	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/chaincfg"
	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/txscript"
	"github.com/btcsuite/btcd/wire"
)

// smallConfig is a run that exercises every actor in about a second.
func smallConfig(seed uint64) Config {
	return Config{Seed: seed, Txs: 30_000, TxsPerBlock: 100, Individuals: 800, MaxFileSize: 1 << 20}
}

func generate(t testing.TB, cfg Config) (string, Stats) {
	t.Helper()
	dir := t.TempDir()
	st, err := Generate(context.Background(), dir, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return dir, st
}

// readBlocks decodes every block of dir/blocks in order with btcd's wire
// decoder, checking the blk framing.
func readBlocks(t *testing.T, dir string, magic uint32) []*wire.MsgBlock {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "blocks", "blk*.dat"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no blk files: %v", err)
	}
	var blocks []*wire.MsgBlock
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for len(data) > 0 {
			if len(data) < 8 {
				t.Fatalf("%s: %d trailing bytes", f, len(data))
			}
			if got := binary.LittleEndian.Uint32(data); got != magic {
				t.Fatalf("%s: magic %08x, want %08x", f, got, magic)
			}
			n := binary.LittleEndian.Uint32(data[4:])
			if int(n) > len(data)-8 {
				t.Fatalf("%s: block length %d past end", f, n)
			}
			var b wire.MsgBlock
			r := bytes.NewReader(data[8 : 8+n])
			if err := b.Deserialize(r); err != nil {
				t.Fatalf("%s: block %d: %v", f, len(blocks), err)
			}
			if r.Len() != 0 {
				t.Fatalf("%s: block %d: %d bytes left after decoding", f, len(blocks), r.Len())
			}
			blocks = append(blocks, &b)
			data = data[8+n:]
		}
	}
	return blocks
}

func readCSV(t *testing.T, path string) [][]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var rows [][]string
	s := bufio.NewScanner(f)
	for s.Scan() {
		rows = append(rows, strings.Split(s.Text(), ","))
	}
	if err := s.Err(); err != nil {
		t.Fatal(err)
	}
	return rows[1:]
}

// absent lists, for each profile, the behaviours its economy never has.
var absent = map[string][]string{
	"realistic":  {"coinjoin-remix"},
	"early":      {"coinjoin", "whirlpool-tx0", "coinjoin-remix"},
	"privacy":    nil,
	"ransomware": {"coinjoin-remix"},
}

// TestChain checks each profile's chain as a node would: framing,
// decoding, linking, merkle roots, coinbases, no double spend, value
// conservation, and that the truth covers every output and transaction.
func TestChain(t *testing.T) {
	for _, name := range Profiles() {
		t.Run(name, func(t *testing.T) {
			cfg := smallConfig(1)
			cfg.Profile = name
			v := checkChain(t, cfg)
			for _, b := range behaviourNames {
				if want := !slices.Contains(absent[name], b); (v.counts[b] > 0) != want {
					t.Errorf("%d %s transactions in %d, want some: %v", v.counts[b], b, cfg.Txs, want)
				}
			}
			if v.counts["mining"] <= v.stats.Blocks {
				t.Errorf("%d mining transactions in %d blocks: no pool paid out", v.counts["mining"], v.stats.Blocks)
			}
			t.Logf("behaviours: %v", v.counts)
		})
	}
}

// chainView is what checkChain learnt of a run, for checks of one profile.
type chainView struct {
	dir    string
	stats  Stats
	blocks []*wire.MsgBlock
	// behaviour of each transaction, by reversed-hex txid.
	behaviour map[string]string
	counts    map[string]int
	// prev holds, for each non-coinbase transaction, what its inputs spent.
	prev map[chainhash.Hash][]prevOut
	// addrType and addrKind are addresses.csv's script_type and kind.
	addrType, addrKind map[string]string
}

type prevOut struct {
	value int64
	from  chainhash.Hash // the transaction that made the output
	addr  string
}

// checkChain generates cfg and checks the chain and its truth; it fails t
// on the first inconsistency.
func checkChain(t *testing.T, cfg Config) *chainView {
	t.Helper()
	dir, st := generate(t, cfg)
	blocks := readBlocks(t, dir, uint32(chaincfg.MainNetParams.Net))
	if len(blocks) != st.Blocks {
		t.Fatalf("decoded %d blocks, Stats says %d", len(blocks), st.Blocks)
	}
	if files, _ := filepath.Glob(filepath.Join(dir, "blocks", "blk*.dat")); len(files) < 2 {
		t.Errorf("%d blk files, want a roll-over at 1 MiB", len(files))
	}
	v := &chainView{dir: dir, stats: st, blocks: blocks, behaviour: map[string]string{}, counts: map[string]int{},
		prev: map[chainhash.Hash][]prevOut{}, addrType: map[string]string{}, addrKind: map[string]string{}}

	type coin struct {
		value    int64
		script   []byte
		matureAt int // height from which a coinbase output may be spent
		from     chainhash.Hash
		addr     string
	}
	utxos := map[wire.OutPoint]coin{}
	owner := map[string]string{} // address -> entity id
	for _, r := range readCSV(t, filepath.Join(dir, "truth", "addresses.csv")) {
		if _, dup := owner[r[0]]; dup {
			t.Fatalf("address %s listed twice", r[0])
		}
		owner[r[0]] = r[1]
		v.addrKind[r[0]], v.addrType[r[0]] = r[2], r[3]
	}
	type placed struct {
		value int64
		owner string
	}
	outputs := map[string]placed{} // "txid:vout"
	for _, r := range readCSV(t, filepath.Join(dir, "truth", "txs.csv")) {
		v.behaviour[r[0]] = r[2]
		v.counts[r[2]]++
	}

	var prev chainhash.Hash
	var prevTime int64
	txs := 0
	for h, b := range blocks {
		if b.Header.PrevBlock != prev {
			t.Fatalf("block %d: prev %s, want %s", h, b.Header.PrevBlock, prev)
		}
		prev = b.BlockHash()
		if ts := b.Header.Timestamp.Unix(); ts <= prevTime && h > 0 {
			t.Fatalf("block %d: time %d not after %d", h, ts, prevTime)
		}
		prevTime = b.Header.Timestamp.Unix()
		ids := make([]chainhash.Hash, len(b.Transactions))
		for i, tx := range b.Transactions {
			ids[i] = tx.TxHash()
		}
		if got := merkleRoot(append([]chainhash.Hash(nil), ids...)); got != b.Header.MerkleRoot {
			t.Fatalf("block %d: merkle root mismatch", h)
		}
		// btcd's own checks of what does not need the chain state: merkle
		// root, BIP 141 commitment, each transaction's sanity.
		ub := btcutil.NewBlock(b)
		if root := blockchain.CalcMerkleRoot(ub.Transactions(), false); root != b.Header.MerkleRoot {
			t.Fatalf("block %d: btcd computes merkle root %s", h, root)
		}
		if err := blockchain.ValidateWitnessCommitment(ub); err != nil {
			t.Fatalf("block %d: %v", h, err)
		}
		for _, tx := range ub.Transactions() {
			if err := blockchain.CheckTransactionSanity(tx); err != nil {
				t.Fatalf("block %d tx %s: %v", h, tx.Hash(), err)
			}
		}
		var fees, coinbaseOut int64
		for i, tx := range b.Transactions {
			txs++
			id := ids[i]
			if _, ok := v.behaviour[id.String()]; !ok {
				t.Fatalf("block %d tx %s: no behaviour in truth", h, id)
			}
			isCoinbase := tx.TxIn[0].PreviousOutPoint.Index == wire.MaxPrevOutIndex && tx.TxIn[0].PreviousOutPoint.Hash == (chainhash.Hash{})
			if isCoinbase != (i == 0) {
				t.Fatalf("block %d tx %d: coinbase=%v", h, i, isCoinbase)
			}
			var in, out int64
			if !isCoinbase {
				for _, ti := range tx.TxIn {
					c, ok := utxos[ti.PreviousOutPoint]
					if !ok {
						t.Fatalf("block %d tx %s spends missing or spent %v", h, id, ti.PreviousOutPoint)
					}
					delete(utxos, ti.PreviousOutPoint)
					if h < c.matureAt {
						t.Fatalf("block %d tx %s spends a coinbase output maturing at %d", h, id, c.matureAt)
					}
					in += c.value
					v.prev[id] = append(v.prev[id], prevOut{value: c.value, from: c.from, addr: c.addr})
					wantWitness := !bytes.HasPrefix(c.script, []byte{0x76}) && !(len(c.script) == 23 && len(ti.SignatureScript) > 100)
					if (len(ti.Witness) > 0) != wantWitness {
						t.Fatalf("block %d tx %s: witness %d items for script %x", h, id, len(ti.Witness), c.script)
					}
				}
			}
			for vout, o := range tx.TxOut {
				out += o.Value
				if o.Value < 0 {
					t.Fatalf("negative output")
				}
				if txscript.GetScriptClass(o.PkScript) == txscript.NullDataTy {
					continue
				}
				_, addrs, _, err := txscript.ExtractPkScriptAddrs(o.PkScript, &chaincfg.MainNetParams)
				if err != nil || len(addrs) != 1 {
					t.Fatalf("block %d tx %s out %d: script %x: %v", h, id, vout, o.PkScript, err)
				}
				a := addrs[0].EncodeAddress()
				ent, ok := owner[a]
				if !ok {
					t.Fatalf("block %d tx %s out %d: address %s has no entity", h, id, vout, a)
				}
				outputs[id.String()+":"+strconv.Itoa(vout)] = placed{o.Value, ent}
				c := coin{value: o.Value, script: o.PkScript, from: id, addr: a}
				if isCoinbase && h > 1 { // blocks 0 and 1 found the economy
					c.matureAt = h + 100
				}
				utxos[wire.OutPoint{Hash: id, Index: uint32(vout)}] = c
			}
			if isCoinbase {
				coinbaseOut = out
				continue
			}
			if in <= out {
				t.Fatalf("block %d tx %s: in %d, out %d: want a positive fee", h, id, in, out)
			}
			fees += in - out
		}
		// Value is conserved: past the founding blocks, a coinbase pays
		// exactly the subsidy and the block's fees.
		if h > 1 && coinbaseOut != subsidy+fees {
			t.Fatalf("block %d: coinbase pays %d, subsidy and fees are %d", h, coinbaseOut, subsidy+fees)
		}
	}
	if txs != cfg.Txs || st.Txs != cfg.Txs {
		t.Errorf("wrote %d txs (Stats %d), want %d", txs, st.Txs, cfg.Txs)
	}
	if len(v.behaviour) != txs {
		t.Errorf("truth has %d txs, chain %d", len(v.behaviour), txs)
	}
	// Ransom truth points at real outputs of the right owners.
	for _, f := range []struct {
		file     string
		ownerCol int
	}{{"ransom_payments.csv", 1}, {"ransom_cashouts.csv", 2}} {
		rows := readCSV(t, filepath.Join(dir, "truth", f.file))
		if len(rows) == 0 {
			t.Errorf("%s is empty", f.file)
		}
		for _, r := range rows {
			o, ok := outputs[r[3]+":"+r[4]]
			if !ok {
				t.Fatalf("%s: %v: no such output", f.file, r)
			}
			if val, _ := strconv.ParseInt(r[5], 10, 64); val != o.value || o.owner != r[f.ownerCol] {
				t.Fatalf("%s: %v: output holds %d for entity %s", f.file, r, o.value, o.owner)
			}
		}
	}
	return v
}

// TestDeterminism: the same seed gives the same bytes, another seed others.
func TestDeterminism(t *testing.T) {
	cfg := Config{Seed: 7, Txs: 5_000, TxsPerBlock: 200, Individuals: 300}
	a, _ := generate(t, cfg)
	b, _ := generate(t, cfg)
	cfg.Seed = 8
	c, _ := generate(t, cfg)
	for _, rel := range []string{"blocks/blk00000.dat", "truth/addresses.csv", "truth/txs.csv", "truth/entities.csv", "tags/exchange-alderex.yaml"} {
		da, db, dc := readFile(t, a, rel), readFile(t, b, rel), readFile(t, c, rel)
		if !bytes.Equal(da, db) {
			t.Errorf("%s differs between two runs with seed 7", rel)
		}
		if rel != "truth/entities.csv" && bytes.Equal(da, dc) {
			t.Errorf("%s is the same for seeds 7 and 8", rel)
		}
	}
}

func readFile(t *testing.T, dir, rel string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, rel))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestConfigErrors(t *testing.T) {
	tests := []struct {
		name string
		cfg  Config
	}{
		{"no txs", Config{}},
		{"too few txs", Config{Txs: 9}},
		{"too many txs", Config{Txs: MaxTxs + 1}},
		{"profile", Config{Txs: 100, Profile: "calm"}},
		{"tiny blocks", Config{Txs: 100, TxsPerBlock: 2}},
		{"huge blocks", Config{Txs: 100, TxsPerBlock: MaxTxsPerBlock + 1}},
		{"few people", Config{Txs: 100, Individuals: 5}},
		{"small files", Config{Txs: 100, MaxFileSize: 1000}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			_, err := Generate(context.Background(), dir, tt.cfg)
			if !errors.Is(err, ErrConfig) {
				t.Fatalf("err = %v, want ErrConfig", err)
			}
			if entries, _ := os.ReadDir(dir); len(entries) != 0 {
				t.Errorf("wrote %d entries for a bad config", len(entries))
			}
		})
	}
}

func TestCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Generate(ctx, t.TempDir(), Config{Txs: 1000}); !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
}

// TestNetworks checks the blk magic and address encoding of each network.
func TestNetworks(t *testing.T) {
	tests := []struct {
		params *chaincfg.Params
		magic  string // as the bytes appear in the file
		prefix []string
	}{
		{&chaincfg.MainNetParams, "f9beb4d9", []string{"1", "3", "bc1q", "bc1p"}},
		{&chaincfg.TestNet3Params, "0b110907", []string{"m", "n", "2", "tb1q", "tb1p"}},
		{&chaincfg.RegressionNetParams, "fabfb5da", []string{"m", "n", "2", "bcrt1q", "bcrt1p"}},
	}
	for _, tt := range tests {
		t.Run(tt.params.Name, func(t *testing.T) {
			dir, _ := generate(t, Config{Seed: 3, Txs: 3000, TxsPerBlock: 100, Individuals: 200, Network: tt.params})
			blk := readFile(t, dir, "blocks/blk00000.dat")
			if got := hex.EncodeToString(blk[:4]); got != tt.magic {
				t.Errorf("magic %s, want %s", got, tt.magic)
			}
			readBlocks(t, dir, binary.LittleEndian.Uint32(blk))
			for _, r := range readCSV(t, filepath.Join(dir, "truth", "addresses.csv")) {
				a, err := btcutil.DecodeAddress(r[0], tt.params)
				if err != nil || !a.IsForNet(tt.params) {
					t.Fatalf("address %s: %v, or not for %s", r[0], err, tt.params.Name)
				}
				ok := false
				for _, p := range tt.prefix {
					ok = ok || strings.HasPrefix(r[0], p)
				}
				if !ok {
					t.Fatalf("address %s has none of the prefixes %v", r[0], tt.prefix)
				}
			}
		})
	}
}
