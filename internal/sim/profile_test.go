package sim

import (
	"bytes"
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/chaincfg"
	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/txscript"
	"github.com/btcsuite/btcd/wire"
)

// TestProfileDeterminism: for every profile the same seed gives the same
// bytes, and another seed or another profile gives others.
func TestProfileDeterminism(t *testing.T) {
	files := []string{"blocks/blk00000.dat", "truth/addresses.csv", "truth/txs.csv", "truth/ransom_cashouts.csv", "tags/exchange-alderex.yaml"}
	first := map[string][]byte{} // blk00000.dat of each profile, seed 7
	for _, name := range Profiles() {
		t.Run(name, func(t *testing.T) {
			cfg := Config{Seed: 7, Txs: 5_000, TxsPerBlock: 200, Individuals: 300, Profile: name}
			a, _ := generate(t, cfg)
			b, _ := generate(t, cfg)
			cfg.Seed = 8
			c, _ := generate(t, cfg)
			for _, rel := range files {
				da, db, dc := readFile(t, a, rel), readFile(t, b, rel), readFile(t, c, rel)
				if !bytes.Equal(da, db) {
					t.Errorf("%s differs between two runs with seed 7", rel)
				}
				if bytes.Equal(da, dc) && strings.Count(string(da), "\n") > 1 {
					t.Errorf("%s is the same for seeds 7 and 8", rel)
				}
			}
			first[name] = readFile(t, a, files[0])
		})
	}
	names := Profiles()
	for i := range names {
		for j := i + 1; j < len(names); j++ {
			if bytes.Equal(first[names[i]], first[names[j]]) {
				t.Errorf("profiles %s and %s wrote the same blocks", names[i], names[j])
			}
		}
	}
}

// TestUnknownProfile: the error is a config error that names every
// profile, so an analyst who mistypes one learns the choices.
func TestUnknownProfile(t *testing.T) {
	_, err := Generate(context.Background(), t.TempDir(), Config{Txs: 100, Profile: "Realistic"})
	if !errors.Is(err, ErrConfig) {
		t.Fatalf("err = %v, want ErrConfig", err)
	}
	for _, name := range append(Profiles(), `"Realistic"`) {
		if !strings.Contains(err.Error(), name) {
			t.Errorf("error %q does not name %s", err, name)
		}
	}
	if got := Profiles(); len(got) != 4 || got[0] != "realistic" {
		t.Errorf("Profiles() = %v, want realistic first of four", got)
	}
}

// TestEarly: a 2011-2013 chain has P2PKH outputs only, no witness, no
// CoinJoin coordinator, version 1 transactions with final sequences (no
// BIP 125 signal, no locktime), and far more address reuse than today's.
func TestEarly(t *testing.T) {
	cfg := smallConfig(2)
	cfg.Profile = "early"
	v := checkChain(t, cfg)
	for h, b := range v.blocks {
		for _, tx := range b.Transactions {
			if tx.Version != 1 || tx.LockTime != 0 {
				t.Fatalf("block %d tx %s: version %d, locktime %d; want 1 and 0", h, tx.TxHash(), tx.Version, tx.LockTime)
			}
			for _, in := range tx.TxIn {
				if in.Sequence != wire.MaxTxInSequenceNum || len(in.Witness) > 0 {
					t.Fatalf("block %d tx %s: sequence %x, %d witness items", h, tx.TxHash(), in.Sequence, len(in.Witness))
				}
			}
			for i, o := range tx.TxOut {
				if c := txscript.GetScriptClass(o.PkScript); c != txscript.PubKeyHashTy {
					t.Fatalf("block %d tx %s out %d: %s output", h, tx.TxHash(), i, c)
				}
			}
		}
	}
	for a, typ := range v.addrType {
		if typ != "p2pkh" {
			t.Fatalf("address %s is %s", a, typ)
		}
	}
	for _, r := range readCSV(t, filepath.Join(v.dir, "truth", "entities.csv")) {
		if r[1] == "coinjoin-coordinator" {
			t.Errorf("entity %v: no coordinator existed", r)
		}
	}
	today := smallConfig(2)
	early, now := reuseShare(v), reuseShare(checkChain(t, today))
	t.Logf("outputs to a used address: early %.2f, realistic %.2f", early, now)
	if early < 0.5 || early < 1.5*now {
		t.Errorf("early reuse %.2f, realistic %.2f: want at least half the outputs, and half as many again as realistic", early, now)
	}
}

// reuseShare is the share of outputs, coinbases aside, paid to an
// address that was paid before (BitMEX Research's measure).
func reuseShare(v *chainView) float64 {
	seen := map[string]bool{}
	var reused, all int
	for _, b := range v.blocks {
		for _, tx := range b.Transactions[1:] {
			for _, o := range tx.TxOut {
				a := string(o.PkScript)
				if seen[a] {
					reused++
				}
				seen[a] = true
				all++
			}
		}
	}
	return float64(reused) / float64(all)
}

// TestPrivacyRemixes: the privacy profile's Whirlpool remixes are
// 5-in-5-out with equal outputs at fresh addresses of five owners; each
// remixer is a post-mix output of an earlier mix that pays no fee; the
// premix inputs pay it all; and some coins remix more than once.
func TestPrivacyRemixes(t *testing.T) {
	cfg := smallConfig(3)
	cfg.Profile = "privacy"
	v := checkChain(t, cfg)
	isMix := func(id chainhash.Hash) bool {
		b := v.behaviour[id.String()]
		return b == "coinjoin-remix" || b == "coinjoin"
	}
	remixes, again, remixers := 0, 0, 0
	for _, b := range v.blocks {
		for _, tx := range b.Transactions {
			id := tx.TxHash()
			if v.behaviour[id.String()] != "coinjoin-remix" {
				continue
			}
			remixes++
			if len(tx.TxIn) != 5 || len(tx.TxOut) != 5 {
				t.Fatalf("remix %s: %d in, %d out; want 5 and 5", id, len(tx.TxIn), len(tx.TxOut))
			}
			var out int64
			for i, o := range tx.TxOut {
				if o.Value != whirlDenom {
					t.Fatalf("remix %s out %d: %d sat, want %d", id, i, o.Value, whirlDenom)
				}
				out += o.Value
			}
			var in int64
			premix, owners := 0, map[string]bool{}
			for _, p := range v.prev[id] {
				in += p.value
				switch {
				case isMix(p.from) && p.value == whirlDenom:
					remixers++
					if v.behaviour[p.from.String()] == "coinjoin-remix" {
						again++
					}
				case v.behaviour[p.from.String()] == "whirlpool-tx0" && p.value == whirlDenom+whirlMinerFee:
					premix++
				default:
					t.Fatalf("remix %s spends %d sat of %s (%s): neither premix nor post-mix", id, p.value, p.from, v.behaviour[p.from.String()])
				}
			}
			if premix == 0 || premix == 5 {
				t.Fatalf("remix %s has %d premix inputs: want 1 to 4", id, premix)
			}
			if fee := in - out; fee != int64(premix)*whirlMinerFee {
				t.Fatalf("remix %s: fee %d, want %d from its %d premix inputs only", id, fee, premix*whirlMinerFee, premix)
			}
			for _, o := range tx.TxOut {
				owners[string(o.PkScript)] = true
			}
			if len(owners) != 5 {
				t.Fatalf("remix %s pays %d distinct addresses, want 5", id, len(owners))
			}
		}
	}
	t.Logf("%d remixes, %d remixer inputs, %d of them already remixed", remixes, remixers, again)
	if remixes < 100 || again == 0 {
		t.Errorf("%d remixes, %d remixers remixing again: want many, and coins remixing several times", remixes, again)
	}

	// Taproot and fresh addresses everywhere people choose: individuals'
	// outputs are P2TR but for Whirlpool's P2WPKH ones and Core's change
	// that takes the type of the payment (to an exchange, say), and no
	// address of theirs is paid twice.
	paid := map[string]int{}
	for _, b := range v.blocks {
		for _, tx := range b.Transactions {
			for _, o := range tx.TxOut {
				paid[string(o.PkScript)]++
			}
		}
	}
	kinds := map[string]int{}
	for _, b := range v.blocks {
		for _, tx := range b.Transactions[1:] {
			for _, o := range tx.TxOut {
				_, addrs, _, _ := txscript.ExtractPkScriptAddrs(o.PkScript, &chaincfg.MainNetParams)
				if len(addrs) != 1 {
					continue
				}
				a := addrs[0].EncodeAddress()
				if v.addrKind[a] != "individual" {
					continue
				}
				kinds[v.addrType[a]]++
				if paid[string(o.PkScript)] > 1 {
					t.Fatalf("individual's address %s paid %d times", a, paid[string(o.PkScript)])
				}
			}
		}
	}
	t.Logf("outputs to individuals by type: %v", kinds)

	// The custodial mixer is busier than in today's economy.
	dir, _ := generate(t, smallConfig(3))
	mixer := 0
	for _, r := range readCSV(t, filepath.Join(dir, "truth", "txs.csv")) {
		if r[2] == "mixer" {
			mixer++
		}
	}
	if v.counts["mixer"] < 3*mixer {
		t.Errorf("%d mixer transactions, realistic has %d: want three times as many", v.counts["mixer"], mixer)
	}
	total := 0
	for _, n := range kinds {
		total += n
	}
	if share := float64(kinds["p2tr"]) / float64(total); share < 0.8 {
		t.Errorf("outputs to individuals by type %v: %.2f P2TR, want at least 0.8", kinds, share)
	}
}

// TestRansomwareProfile: many more incidents than the realistic economy
// of the same size, each paid and cashed out in the truth.
func TestRansomwareProfile(t *testing.T) {
	cfg := Config{Seed: 4, Txs: 20_000, TxsPerBlock: 200, Individuals: 500}
	_, real := generate(t, cfg)
	cfg.Profile = "ransomware"
	dir, st := generate(t, cfg)
	payments := readCSV(t, filepath.Join(dir, "truth", "ransom_payments.csv"))
	t.Logf("incidents: realistic %d, ransomware %d; %d ransom payments", real.Incidents, st.Incidents, len(payments))
	if st.Incidents < 5*real.Incidents {
		t.Errorf("%d incidents against realistic's %d: want five times as many", st.Incidents, real.Incidents)
	}
	if len(payments) < st.Incidents/2 {
		t.Errorf("%d ransom payments for %d incidents", len(payments), st.Incidents)
	}
}

// TestSegwitAddress: the shortcut encoder writes what btcutil writes.
func TestSegwitAddress(t *testing.T) {
	for _, params := range []*chaincfg.Params{&chaincfg.MainNetParams, &chaincfg.TestNet3Params, &chaincfg.RegressionNetParams, &chaincfg.SigNetParams} {
		for i := range 200 {
			var a address
			for k := range a.hash {
				a.hash[k] = byte(i*31 + k*7 + i*k)
			}
			w, err := btcutil.NewAddressWitnessPubKeyHash(a.hash[:20], params)
			if err != nil {
				t.Fatal(err)
			}
			tr, err := btcutil.NewAddressTaproot(a.hash[:], params)
			if err != nil {
				t.Fatal(err)
			}
			a.typ = p2wpkh
			if got, want := a.encode(params), w.EncodeAddress(); got != want {
				t.Fatalf("%s p2wpkh: %s, btcutil %s", params.Name, got, want)
			}
			a.typ = p2tr
			if got, want := a.encode(params), tr.EncodeAddress(); got != want {
				t.Fatalf("%s p2tr: %s, btcutil %s", params.Name, got, want)
			}
		}
	}
}
