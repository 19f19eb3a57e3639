package chain

import (
	"encoding/hex"
	"errors"
	"strings"
	"testing"

	"github.com/btcsuite/btcd/chaincfg"
	"github.com/btcsuite/btcd/txscript"
)

func mustHex(t *testing.T, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

const (
	genesisKey = "04678afdb0fe5548271967f1a67130b7105cd6a828e03909a67962e0ea1f61deb649f6bc3f4cef38c4f35504e51ec112de5c384df7ba0b8d578a4c702b6bf11d5f"
	compKey    = "0279be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798"
	hash20     = "751e76e8199196d454941c45d1b3a323f1433bd6"
)

func TestAddressesMainnet(t *testing.T) {
	tests := []struct {
		name      string
		script    string
		wantClass ScriptClass
		want      string // "" when there is no address
	}{
		{"genesis coinbase P2PK", "41" + genesisKey + "ac", PubKey, "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa"},
		{"compressed P2PK (key 1)", "21" + compKey + "ac", PubKey, "1BgGZ9tcN4rm9KBzDn7KprQz87SZ26SAMH"},
		{"P2PKH of key 1", "76a914" + "751e76e8199196d454941c45d1b3a323f1433bd6" + "88ac", PubKeyHash, "1BgGZ9tcN4rm9KBzDn7KprQz87SZ26SAMH"},
		{"P2SH", "a914" + "8f55563b9a19f321c211e9b9f38cdf686ea07845" + "87", ScriptHash, "3EktnHQD7RiAE6uzMj2ZifT9YgRrkSgzQX"},
		// BIP 173 and BIP 350 test vectors (valid segwit addresses).
		{"BIP173 P2WPKH", "0014751e76e8199196d454941c45d1b3a323f1433bd6", WitnessV0PubKeyHash, "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4"},
		{"BIP350 v1 40 bytes", "5128751e76e8199196d454941c45d1b3a323f1433bd6751e76e8199196d454941c45d1b3a323f1433bd6", WitnessUnknown, "bc1pw508d6qejxtdg4y5r3zarvary0c5xw7kw508d6qejxtdg4y5r3zarvary0c5xw7kt5nd6y"},
		{"BIP350 v16", "6002751e", WitnessUnknown, "bc1sw50qgdz25j"},
		{"BIP350 v2", "5210751e76e8199196d454941c45d1b3a323", WitnessUnknown, "bc1zw508d6qejxtdg4y5r3zarvaryvaxxpcs"},
		{"BIP350 P2TR", "512079be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798", WitnessV1Taproot, "bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqzk5jj0"},
		{"P2WSH", "0020" + "1863143c14c5166804bd19203356da136c985678cd4d27a1b8c6329604903262", WitnessV0ScriptHash, "bc1qrp33g0q5c5txsp9arysrx4k6zdkfs4nce4xj0gdcccefvpysxf3qccfmv3"},
		{"bare multisig 1 of 2", "51" + "21" + compKey + "41" + genesisKey + "52ae", MultiSig, ""},
		{"OP_RETURN", "6a0b68656c6c6f20776f726c64", NullData, ""},
		{"bare OP_RETURN", "6a", NullData, ""},
		{"v0 program of 21 bytes", "0015" + hash20 + "00", NonStandard, ""},
		{"P2PK with a bad key prefix", "21" + "05" + compKey[2:] + "ac", NonStandard, ""},
		{"multisig with m > n", "52" + "21" + compKey + "51ae", NonStandard, ""},
		{"multisig with a wrong key count", "51" + "21" + compKey + "52ae", NonStandard, ""},
		{"empty", "", NonStandard, ""},
		{"OP_TRUE", "51", NonStandard, ""},
	}
	n := mainnet(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := ClassifyScript(mustHex(t, tt.script))
			if d.Class != tt.wantClass {
				t.Fatalf("class %s, want %s", d.Class, tt.wantClass)
			}
			got, err := n.Address(d)
			if tt.want == "" {
				if !errors.Is(err, ErrNoAddress) {
					t.Errorf("Address = %q, %v; want ErrNoAddress", got, err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Errorf("Address = %q, %v; want %q", got, err, tt.want)
			}
		})
	}
}

func TestMultiSigKeys(t *testing.T) {
	d := ClassifyScript(mustHex(t, "51"+"21"+compKey+"41"+genesisKey+"52ae"))
	if d.Required != 1 || len(d.Keys) != 2 || hex.EncodeToString(d.Keys[0]) != compKey || hex.EncodeToString(d.Keys[1]) != genesisKey {
		t.Fatalf("got %+v", d)
	}
	if got := mainnet(t).PubKeyAddress(d.Keys[1]); got != "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa" {
		t.Errorf("PubKeyAddress = %s", got)
	}
}

// TestNetworks encodes one script of each kind on every network; the
// expected strings come from btcd's btcutil with each network's chaincfg.
func TestNetworks(t *testing.T) {
	p2pkh := mustHex(t, "76a914"+hash20+"88ac")
	p2sh := mustHex(t, "a914"+hash20+"87")
	p2wpkh := mustHex(t, "0014"+hash20)
	p2tr := mustHex(t, "512079be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798")
	tests := []struct {
		network string
		params  *chaincfg.Params
		prefix  string // of the bech32 addresses
	}{
		{"mainnet", &chaincfg.MainNetParams, "bc1"},
		{"testnet", &chaincfg.TestNet3Params, "tb1"},
		{"signet", &chaincfg.SigNetParams, "tb1"},
		{"regtest", &chaincfg.RegressionNetParams, "bcrt1"},
		{"simnet", &chaincfg.SimNetParams, "sb1"},
	}
	for _, tt := range tests {
		t.Run(tt.network, func(t *testing.T) {
			n, err := ParseNetwork(tt.network)
			if err != nil {
				t.Fatal(err)
			}
			var magic [4]byte
			for i := range magic {
				magic[i] = byte(uint32(tt.params.Net) >> (8 * i))
			}
			if n.Magic != magic {
				t.Errorf("magic %x, want %x", n.Magic, magic)
			}
			for _, s := range [][]byte{p2pkh, p2sh, p2wpkh, p2tr} {
				got, err := n.ScriptAddress(s)
				if err != nil {
					t.Fatal(err)
				}
				_, addrs, _, err := txscript.ExtractPkScriptAddrs(s, tt.params)
				if err != nil || len(addrs) != 1 {
					t.Fatalf("btcd: %v %v", addrs, err)
				}
				if want := addrs[0].EncodeAddress(); got != want {
					t.Errorf("%x: %s, want %s", s, got, want)
				}
				if s[0] <= 0x60 && s[0] != 0x76 && !strings.HasPrefix(got, tt.prefix) {
					t.Errorf("%s lacks prefix %s", got, tt.prefix)
				}
			}
		})
	}
	if _, err := ParseNetwork("litecoin"); !errors.Is(err, ErrUnknownNetwork) {
		t.Errorf("ParseNetwork(litecoin) error %v", err)
	}
}

// TestRealOutputsAgainstBtcd classifies every output of the real blocks and
// compares class and address with btcd's txscript.
func TestRealOutputsAgainstBtcd(t *testing.T) {
	want := map[txscript.ScriptClass]ScriptClass{
		txscript.PubKeyHashTy: PubKeyHash, txscript.ScriptHashTy: ScriptHash,
		txscript.WitnessV0PubKeyHashTy: WitnessV0PubKeyHash, txscript.WitnessV0ScriptHashTy: WitnessV0ScriptHash,
		txscript.WitnessV1TaprootTy: WitnessV1Taproot, txscript.PubKeyTy: PubKey, txscript.MultiSigTy: MultiSig,
		txscript.NullDataTy: NullData,
	}
	n := mainnet(t)
	seen := map[ScriptClass]int{}
	blocks := append(fileBlocks(t, readTestdata(t, blkFile)), readTestdata(t, block2019), readTestdata(t, block2018))
	for _, raw := range blocks {
		blk, err := ParseBlock(raw)
		if err != nil {
			t.Fatal(err)
		}
		for _, tx := range blk.Txs {
			for i, o := range tx.Out {
				d := ClassifyScript(o.Script)
				seen[d.Class]++
				class, addrs, _, _ := txscript.ExtractPkScriptAddrs(o.Script, &chaincfg.MainNetParams)
				wc, ok := want[class]
				if !ok {
					continue
				}
				if d.Class != wc {
					t.Fatalf("%s:%d: class %s, btcd %s", tx.TxID, i, d.Class, class)
				}
				if got, err := n.Address(d); err == nil && (len(addrs) != 1 || got != addrs[0].EncodeAddress()) {
					t.Fatalf("%s:%d: address %s, btcd %v", tx.TxID, i, got, addrs)
				}
			}
		}
	}
	if seen[PubKeyHash] == 0 || seen[ScriptHash] == 0 || seen[WitnessV0PubKeyHash] == 0 || seen[NullData] == 0 || seen[PubKey] < 10000 {
		t.Errorf("too few kinds of output covered: %v", seen)
	}
	t.Logf("classes: %v", seen)
}

func TestScriptClassString(t *testing.T) {
	tests := []struct {
		c    ScriptClass
		want string
	}{
		{NonStandard, "nonstandard"}, {PubKeyHash, "p2pkh"}, {ScriptHash, "p2sh"}, {WitnessV0PubKeyHash, "p2wpkh"},
		{WitnessV0ScriptHash, "p2wsh"}, {WitnessV1Taproot, "p2tr"}, {WitnessUnknown, "witness_unknown"},
		{PubKey, "p2pk"}, {MultiSig, "multisig"}, {NullData, "nulldata"}, {ScriptClass(200), "ScriptClass(200)"},
	}
	for _, tt := range tests {
		if got := tt.c.String(); got != tt.want {
			t.Errorf("%d: %q, want %q", tt.c, got, tt.want)
		}
	}
}
