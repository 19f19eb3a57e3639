package chain

import (
	"crypto/sha256"
	"fmt"

	"github.com/btcsuite/btcd/btcutil/base58"
	"github.com/btcsuite/btcd/btcutil/bech32"
	"golang.org/x/crypto/ripemd160" //nolint:staticcheck // HASH160 is RIPEMD-160 by definition.
)

// ScriptClass is the template an output script follows.
type ScriptClass uint8

// The output script templates, named as Bitcoin Core names them.
const (
	NonStandard         ScriptClass = iota
	PubKeyHash                      // P2PKH: OP_DUP OP_HASH160 <20> OP_EQUALVERIFY OP_CHECKSIG
	ScriptHash                      // P2SH: OP_HASH160 <20> OP_EQUAL
	WitnessV0PubKeyHash             // P2WPKH: OP_0 <20>
	WitnessV0ScriptHash             // P2WSH: OP_0 <32>
	WitnessV1Taproot                // P2TR: OP_1 <32>
	WitnessUnknown                  // another witness version or program size (BIP 141, BIP 350)
	PubKey                          // P2PK: <33 or 65 byte key> OP_CHECKSIG
	MultiSig                        // bare multisig: OP_m <keys> OP_n OP_CHECKMULTISIG
	NullData                        // OP_RETURN ...: provably unspendable
)

func (c ScriptClass) String() string {
	switch c {
	case NonStandard:
		return "nonstandard"
	case PubKeyHash:
		return "p2pkh"
	case ScriptHash:
		return "p2sh"
	case WitnessV0PubKeyHash:
		return "p2wpkh"
	case WitnessV0ScriptHash:
		return "p2wsh"
	case WitnessV1Taproot:
		return "p2tr"
	case WitnessUnknown:
		return "witness_unknown"
	case PubKey:
		return "p2pk"
	case MultiSig:
		return "multisig"
	case NullData:
		return "nulldata"
	}
	return fmt.Sprintf("ScriptClass(%d)", uint8(c))
}

// Destination is what an output script pays to.
type Destination struct {
	Class ScriptClass
	// WitnessVersion is the witness version of the witness classes.
	WitnessVersion int
	// Data points into the script: the 20-byte hash (P2PKH, P2SH, P2WPKH),
	// the witness program (P2WSH, P2TR, WitnessUnknown), the public key
	// (P2PK) or everything after OP_RETURN (NullData). Nil otherwise.
	Data []byte
	// Required and Keys describe bare multisig: Required of the Keys (which
	// point into the script) must sign.
	Required int
	Keys     [][]byte
}

const (
	opDup           = 0x76
	opHash160       = 0xa9
	opEqual         = 0x87
	opEqualVerify   = 0x88
	opCheckSig      = 0xac
	opCheckMultiSig = 0xae
	opReturn        = 0x6a
	op0             = 0x00
	op1             = 0x51
	op16            = 0x60
)

// ClassifyScript says which template an output script follows. It does not
// allocate, except for the Keys of bare multisig.
func ClassifyScript(s []byte) Destination {
	n := len(s)
	switch {
	case n == 25 && s[0] == opDup && s[1] == opHash160 && s[2] == 20 && s[23] == opEqualVerify && s[24] == opCheckSig:
		return Destination{Class: PubKeyHash, Data: s[3:23]}
	case n == 23 && s[0] == opHash160 && s[1] == 20 && s[22] == opEqual:
		return Destination{Class: ScriptHash, Data: s[2:22]}
	case n >= 4 && n <= 42 && (s[0] == op0 || s[0] >= op1 && s[0] <= op16) && int(s[1])+2 == n:
		// BIP 141 witness program: a version opcode and one 2..40 byte push.
		return witnessDestination(s)
	case n == 35 && s[0] == 33 && s[34] == opCheckSig && validPubKey(s[1:34]):
		return Destination{Class: PubKey, Data: s[1:34]}
	case n == 67 && s[0] == 65 && s[66] == opCheckSig && validPubKey(s[1:66]):
		return Destination{Class: PubKey, Data: s[1:66]}
	case n > 0 && s[0] == opReturn:
		// Bitcoin Core calls it null data only when pushes follow, but any
		// OP_RETURN output is unspendable, which is what matters here.
		return Destination{Class: NullData, Data: s[1:]}
	case n >= 3+34 && s[n-1] == opCheckMultiSig:
		if d, ok := multiSig(s); ok {
			return d
		}
	}
	return Destination{Class: NonStandard}
}

func witnessDestination(s []byte) Destination {
	version, prog := 0, s[2:]
	if s[0] != op0 {
		version = int(s[0]-op1) + 1
	}
	switch {
	case version == 0 && len(prog) == 20:
		return Destination{Class: WitnessV0PubKeyHash, Data: prog}
	case version == 0 && len(prog) == 32:
		return Destination{Class: WitnessV0ScriptHash, Data: prog}
	case version == 0:
		// Version 0 defines only these two sizes; others are unspendable.
		return Destination{Class: NonStandard}
	case version == 1 && len(prog) == 32:
		return Destination{Class: WitnessV1Taproot, WitnessVersion: 1, Data: prog}
	}
	return Destination{Class: WitnessUnknown, WitnessVersion: version, Data: prog}
}

// validPubKey checks size and prefix only, as Bitcoin Core's templates do;
// whether the point is on the curve is not checked.
func validPubKey(k []byte) bool {
	switch len(k) {
	case 33:
		return k[0] == 2 || k[0] == 3
	case 65:
		return k[0] == 4 || k[0] == 6 || k[0] == 7
	}
	return false
}

func multiSig(s []byte) (Destination, bool) {
	m, n := int(s[0])-op1+1, int(s[len(s)-2])-op1+1
	if m < 1 || n < 1 || m > 16 || n > 16 || m > n {
		return Destination{}, false
	}
	body := s[1 : len(s)-2]
	// Count first so that only well-formed scripts allocate.
	count := 0
	for i := 0; i < len(body); {
		l := int(body[i])
		if (l != 33 && l != 65) || i+1+l > len(body) || !validPubKey(body[i+1:i+1+l]) {
			return Destination{}, false
		}
		i += 1 + l
		count++
	}
	if count != n {
		return Destination{}, false
	}
	keys := make([][]byte, 0, n)
	for i := 0; i < len(body); i += 1 + int(body[i]) {
		keys = append(keys, body[i+1:i+1+int(body[i])])
	}
	return Destination{Class: MultiSig, Required: m, Keys: keys}, true
}

// Address returns the address of d on network n. P2PK is given as the P2PKH
// address of its key (compressed and uncompressed forms of one key are two
// addresses, as on chain). Bare multisig, null data and non-standard
// scripts return ErrNoAddress; use [Network.PubKeyAddress] on multisig keys.
func (n Network) Address(d Destination) (string, error) {
	switch d.Class {
	case PubKeyHash:
		return base58.CheckEncode(d.Data, n.PubKeyHashAddrID), nil
	case ScriptHash:
		return base58.CheckEncode(d.Data, n.ScriptHashAddrID), nil
	case PubKey:
		return n.PubKeyAddress(d.Data), nil
	case WitnessV0PubKeyHash, WitnessV0ScriptHash, WitnessV1Taproot, WitnessUnknown:
		return n.segwitAddress(d.WitnessVersion, d.Data)
	}
	return "", fmt.Errorf("%w: %s", ErrNoAddress, d.Class)
}

// ScriptAddress classifies an output script and returns its address.
func (n Network) ScriptAddress(script []byte) (string, error) {
	return n.Address(ClassifyScript(script))
}

// PubKeyAddress returns the P2PKH address of a serialized public key.
func (n Network) PubKeyAddress(key []byte) string {
	return base58.CheckEncode(Hash160(key), n.PubKeyHashAddrID)
}

// segwitAddress encodes a witness program: bech32 for version 0 (BIP 173),
// bech32m for later versions (BIP 350).
func (n Network) segwitAddress(version int, program []byte) (string, error) {
	if version < 0 || version > 16 || len(program) < 2 || len(program) > 40 {
		return "", fmt.Errorf("chain: invalid witness program (version %d, %d bytes)", version, len(program))
	}
	conv, err := bech32.ConvertBits(program, 8, 5, true)
	if err != nil {
		return "", fmt.Errorf("chain: witness program: %w", err)
	}
	data := append([]byte{byte(version)}, conv...)
	if version == 0 {
		return bech32.Encode(n.HRP, data)
	}
	return bech32.EncodeM(n.HRP, data)
}

// Hash160 is RIPEMD-160 of SHA-256, the hash in P2PKH and P2SH scripts.
func Hash160(b []byte) []byte {
	s := sha256.Sum256(b)
	h := ripemd160.New()
	h.Write(s[:])
	return h.Sum(nil)
}
