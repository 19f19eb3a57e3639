package main

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/btcsuite/btcd/chaincfg"
	"github.com/btcsuite/btcd/txscript"
	"github.com/btcsuite/btcd/wire"
)

// runCmd runs the entente command line as main does, with a fixed clock.
func runCmd(t *testing.T, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	var out, errOut bytes.Buffer
	e := &env{stdin: strings.NewReader(""), stdout: &out, stderr: &errOut,
		lookupEnv: func(string) (string, bool) { return "", false },
		now:       func() time.Time { return time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC) }}
	err = e.run(context.Background(), args)
	return out.String(), errOut.String(), err
}

// The names btcd's txscript gives the classes chain decode prints.
var btcdClass = map[txscript.ScriptClass]string{
	txscript.NonStandardTy: "nonstandard", txscript.PubKeyTy: "p2pk", txscript.PubKeyHashTy: "p2pkh",
	txscript.WitnessV0PubKeyHashTy: "p2wpkh", txscript.ScriptHashTy: "p2sh", txscript.WitnessV0ScriptHashTy: "p2wsh",
	txscript.MultiSigTy: "multisig", txscript.NullDataTy: "nulldata", txscript.WitnessV1TaprootTy: "p2tr",
	txscript.WitnessUnknownTy: "witness_unknown",
}

// TestDecodeMatchesBtcd decodes the evidence files, and a 3,315-transaction
// segwit block, with 'chain decode --json' and with btcd's wire and
// txscript packages, and compares hashes, txids, inputs, values, classes
// and addresses on mainnet and testnet.
func TestDecodeMatchesBtcd(t *testing.T) {
	files, err := filepath.Glob("testdata/evidence/*.*")
	if err != nil {
		t.Fatal(err)
	}
	files = append(files, "../../internal/chain/testdata/block-0000000000000000001602407ac49862a7bca9d00f7f402db20b7be2f5de59d2.blk")
	nets := map[string]*chaincfg.Params{"mainnet": &chaincfg.MainNetParams, "testnet": &chaincfg.TestNet3Params}
	checked := 0
	for _, name := range files {
		if strings.HasSuffix(name, ".txt") || strings.HasSuffix(name, ".btcd") {
			continue
		}
		raw, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		if strings.HasSuffix(name, ".hex") {
			if raw, err = hex.DecodeString(strings.TrimSpace(string(raw))); err != nil {
				t.Fatal(err)
			}
		}
		for netName, params := range nets {
			t.Run(filepath.Base(name)+"/"+netName, func(t *testing.T) {
				stdout, _, err := runCmd(t, "chain", "decode", name, "--json", "--network", netName)
				if err != nil {
					t.Fatal(err)
				}
				var got decoded
				if err := json.Unmarshal([]byte(stdout), &got); err != nil {
					t.Fatal(err)
				}
				var txs []*wire.MsgTx
				if strings.HasSuffix(name, "blk") {
					var msg wire.MsgBlock
					if err := msg.Deserialize(bytes.NewReader(raw)); err != nil {
						t.Fatal(err)
					}
					if got.Block == nil || got.Tx != nil {
						t.Fatalf("decoded as a transaction: %s", stdout[:min(len(stdout), 200)])
					}
					if want := msg.BlockHash().String(); got.Block.Hash != want {
						t.Errorf("block hash %s, want %s", got.Block.Hash, want)
					}
					if got.Block.PrevBlock != msg.Header.PrevBlock.String() || got.Block.Nonce != msg.Header.Nonce ||
						!got.Block.Time.Equal(msg.Header.Timestamp) || got.Block.Size != len(raw) {
						t.Errorf("header %+v, want %+v", got.Block, msg.Header)
					}
					if len(got.Block.Txs) != len(msg.Transactions) {
						t.Fatalf("%d transactions, want %d", len(got.Block.Txs), len(msg.Transactions))
					}
					txs = msg.Transactions
				} else {
					var msg wire.MsgTx
					if err := msg.Deserialize(bytes.NewReader(raw)); err != nil {
						t.Fatal(err)
					}
					if got.Tx == nil {
						t.Fatalf("decoded as a block")
					}
					got.Block = &decodedBlock{Txs: []decodedTx{*got.Tx}}
					txs = []*wire.MsgTx{&msg}
				}
				for i, want := range txs {
					tx := got.Block.Txs[i]
					if tx.TxID != want.TxHash().String() {
						t.Errorf("tx %d: txid %s, want %s", i, tx.TxID, want.TxHash())
					}
					if want.HasWitness() != (tx.WTxID != "") || want.HasWitness() && tx.WTxID != want.WitnessHash().String() {
						t.Errorf("tx %d: wtxid %q, want %s", i, tx.WTxID, want.WitnessHash())
					}
					if len(tx.Inputs) != len(want.TxIn) || len(tx.Outputs) != len(want.TxOut) {
						t.Fatalf("tx %d: %d inputs and %d outputs, want %d and %d", i, len(tx.Inputs), len(tx.Outputs), len(want.TxIn), len(want.TxOut))
					}
					for j, in := range want.TxIn {
						coinbase := i == 0 && got.Tx == nil || got.Tx != nil && tx.Inputs[0].Coinbase
						if g := tx.Inputs[j]; g.Vout != in.PreviousOutPoint.Index || !coinbase && g.TxID != in.PreviousOutPoint.Hash.String() || g.Coinbase != coinbase {
							t.Errorf("tx %d input %d: %+v, want %v", i, j, g, in.PreviousOutPoint)
						}
					}
					for j, out := range want.TxOut {
						g := tx.Outputs[j]
						class, addrs, _, _ := txscript.ExtractPkScriptAddrs(out.PkScript, params)
						wantAddr := ""
						if len(addrs) == 1 && class != txscript.MultiSigTy {
							wantAddr = addrs[0].EncodeAddress()
						}
						if g.N != j || g.Value != out.Value || g.Class != btcdClass[class] || g.Address != wantAddr {
							t.Errorf("tx %d output %d: %+v, want value %d class %s address %q", i, j, g, out.Value, btcdClass[class], wantAddr)
						}
						checked++
					}
				}
			})
		}
	}
	if checked < 2*8000 {
		t.Errorf("only %d outputs compared", checked)
	}
}

// TestDecodeTruncated cuts a transaction and a block at every length: each
// cut is refused with the file's name, never a panic or a wrong decode.
func TestDecodeTruncated(t *testing.T) {
	dir := t.TempDir()
	for _, src := range []string{"testdata/evidence/tx-0ed31a69.bin", "testdata/evidence/0.blk"} {
		raw, err := os.ReadFile(src)
		if err != nil {
			t.Fatal(err)
		}
		for n := 0; n < len(raw); n++ {
			for _, form := range []string{"raw", "hex"} {
				name := filepath.Join(dir, form)
				b := raw[:n]
				if form == "hex" {
					b = []byte(hex.EncodeToString(b) + "\n")
				}
				if err := os.WriteFile(name, b, 0o644); err != nil {
					t.Fatal(err)
				}
				_, _, err := runCmd(t, "chain", "decode", name)
				if err == nil || !strings.Contains(err.Error(), name+": not a block: ") || !strings.Contains(err.Error(), name+": not a transaction: ") {
					t.Fatalf("%s cut to %d bytes as %s: %v", src, n, form, err)
				}
			}
		}
	}
}

// TestEvidenceHex: the forms of hex accepted, and where a fault is said to be.
func TestEvidenceHex(t *testing.T) {
	block, err := os.ReadFile("testdata/evidence/1.blk")
	if err != nil {
		t.Fatal(err)
	}
	h := hex.EncodeToString(block)
	var wrapped strings.Builder
	for i := 0; i < len(h); i += 64 {
		wrapped.WriteString(h[i:min(i+64, len(h))] + "\r\n")
	}
	tests := []struct {
		name    string
		text    string
		wantErr string // "" for the block
	}{
		{"bitcoin-cli", h + "\n", ""},
		{"upper case", strings.ToUpper(h), ""},
		{"wrapped with CR LF", wrapped.String(), ""},
		{"JSON string", ` "` + h + `"` + "\n", ""},
		{"tabs and spaces", "\t" + h[:100] + " \t " + h[100:] + "\n\n", ""},
		{"odd", "  " + h[:101], "file offset 102: truncated hex: an odd number (101) of hex digits"},
		{"truncated", h[:300] + "\n", "not a block: byte offset 143 (file offset 286 of the hex): output script length 67 exceeds the 6 bytes left"},
		{"truncated after a line break", h[:64] + "\n" + h[64:300], "byte offset 143 (file offset 287 of the hex)"},
		{"a typo", h[:64] + "x" + h[65:], "(the file is text, but 'x' at file offset 64 is not a hex digit)"},
	}
	dir := t.TempDir()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			name := filepath.Join(dir, "evidence.hex")
			if err := os.WriteFile(name, []byte(tt.text), 0o644); err != nil {
				t.Fatal(err)
			}
			ev, err := readEvidence(name)
			if err == nil {
				_, err = ev.block()
			}
			switch {
			case tt.wantErr == "" && err != nil:
				t.Fatal(err)
			case tt.wantErr == "" && !bytes.Equal(ev.data, block):
				t.Fatal("decoded bytes differ from the block")
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr) || !strings.HasPrefix(err.Error(), name+": ")):
				t.Fatalf("error %v, want one naming %s and %q", err, name, tt.wantErr)
			}
		})
	}
}

// TestDecodeUsage: no file, or a network that does not exist, is a usage
// error (exit status 2).
func TestDecodeUsage(t *testing.T) {
	for _, args := range [][]string{
		{"chain", "decode"},
		{"chain", "decode", "a", "b"},
		{"chain", "decode", "testdata/evidence/0.blk", "--network", "moon"},
	} {
		_, _, err := runCmd(t, args...)
		if _, ok := err.(*usageError); !ok {
			t.Errorf("%q: %v, want a usage error", args, err)
		}
	}
}
