package sim

import (
	"strings"

	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/btcutil/bech32"
	"github.com/btcsuite/btcd/chaincfg"
	"github.com/btcsuite/btcd/wire"
)

// scriptType is how an output is locked, which fixes both its address
// encoding and the size of the input that later spends it.
type scriptType uint8

const (
	p2pkh      scriptType = iota // 1... base58, spent by a 107-byte scriptSig
	p2shP2wpkh                   // 3... nested segwit, as 2017-2019 wallets made
	p2shMulti                    // 3... 2-of-3 multisig, exchange cold storage
	p2wpkh                       // bc1q...
	p2tr                         // bc1p..., key path spend
)

var scriptTypeNames = [...]string{"p2pkh", "p2sh-p2wpkh", "p2sh-multisig", "p2wpkh", "p2tr"}

func (t scriptType) String() string { return scriptTypeNames[t] }

// address is an output's locking target: its type and the hash (20 bytes
// used for all but P2TR, which uses the full 32-byte key).
type address struct {
	typ  scriptType
	hash [32]byte
}

// pkScript appends the output script of a to dst.
func (a address) pkScript(dst []byte) []byte {
	switch a.typ {
	case p2pkh:
		dst = append(dst, 0x76, 0xa9, 0x14)
		dst = append(dst, a.hash[:20]...)
		return append(dst, 0x88, 0xac)
	case p2shP2wpkh, p2shMulti:
		dst = append(dst, 0xa9, 0x14)
		dst = append(dst, a.hash[:20]...)
		return append(dst, 0x87)
	case p2wpkh:
		dst = append(dst, 0x00, 0x14)
		return append(dst, a.hash[:20]...)
	default:
		dst = append(dst, 0x51, 0x20)
		return append(dst, a.hash[:]...)
	}
}

// encode returns a's address string for params.
func (a address) encode(params *chaincfg.Params) string {
	var addr btcutil.Address
	var err error
	switch a.typ {
	case p2pkh:
		addr, err = btcutil.NewAddressPubKeyHash(a.hash[:20], params)
	case p2shP2wpkh, p2shMulti:
		addr, err = btcutil.NewAddressScriptHashFromHash(a.hash[:20], params)
	case p2wpkh:
		return segwitAddress(params.Bech32HRPSegwit, 0, a.hash[:20])
	default:
		return segwitAddress(params.Bech32HRPSegwit, 1, a.hash[:])
	}
	if err != nil {
		// Only a wrong hash length fails, and the lengths above are fixed.
		panic("sim: encoding address: " + err.Error())
	}
	return addr.EncodeAddress()
}

// segwitAddress is btcutil's encoding of a witness program (BIP 173,
// bech32m for version 1 as BIP 350 says) without the check that decodes
// the result again, which cost a fifth of a Taproot-heavy run: the
// programs here have fixed, valid lengths. TestSegwitAddress holds it to
// btcutil's.
func segwitAddress(hrp string, version byte, program []byte) string {
	conv, err := bech32.ConvertBits(program, 8, 5, true)
	if err == nil {
		data := append([]byte{version}, conv...)
		var s string
		if version == 0 {
			s, err = bech32.Encode(strings.ToLower(hrp), data)
		} else {
			s, err = bech32.EncodeM(strings.ToLower(hrp), data)
		}
		if err == nil {
			return s
		}
	}
	panic("sim: encoding address: " + err.Error())
}

// junk is a block of random bytes that dummy signatures and keys are cut
// from: they only need plausible lengths and no structure, and cutting is
// far cheaper than drawing fresh randomness for every input.
type junk []byte

const junkSize = 1 << 12

func (j junk) cut(off uint64, n int) []byte { return j[off%uint64(len(j)-n):][:n] }

// unlock fills in's scriptSig and witness with dummy data of the size a
// real spend of a would have: a DER signature of 71-72 bytes, 33-byte
// compressed keys, a 64-byte Schnorr signature for P2TR.
func (j junk) unlock(in *wire.TxIn, a address, r uint64) {
	sig := func(n int) []byte {
		s := append([]byte{0x30, byte(n - 3)}, j.cut(r, n-2)...)
		s[n-1] = 0x01 // SIGHASH_ALL
		return s
	}
	key := func(k uint64) []byte {
		b := append([]byte(nil), j.cut(r+k*7, 33)...)
		b[0] = 0x02 | b[0]&1
		return b
	}
	sigLen := 71 + int(r>>60&1)
	switch a.typ {
	case p2pkh:
		s, k := sig(sigLen), key(1)
		script := make([]byte, 0, 2+len(s)+len(k))
		script = append(script, byte(len(s)))
		script = append(script, s...)
		script = append(script, byte(len(k)))
		in.SignatureScript = append(script, k...)
	case p2shP2wpkh:
		redeem := append([]byte{0x00, 0x14}, j.cut(r+3, 20)...)
		in.SignatureScript = append([]byte{byte(len(redeem))}, redeem...)
		in.Witness = wire.TxWitness{sig(sigLen), key(1)}
	case p2shMulti:
		// OP_0 <sig> <sig> <OP_2 <k1> <k2> <k3> OP_3 OP_CHECKMULTISIG>
		redeem := []byte{0x52}
		for k := uint64(1); k <= 3; k++ {
			redeem = append(redeem, 33)
			redeem = append(redeem, key(k)...)
		}
		redeem = append(redeem, 0x53, 0xae)
		s1, s2 := sig(72), sig(sigLen)
		script := []byte{0x00, byte(len(s1))}
		script = append(script, s1...)
		script = append(script, byte(len(s2)))
		script = append(script, s2...)
		script = append(script, 0x4c, byte(len(redeem))) // OP_PUSHDATA1: 105 > 75
		in.SignatureScript = append(script, redeem...)
	case p2wpkh:
		in.Witness = wire.TxWitness{sig(sigLen), key(1)}
	default:
		in.Witness = wire.TxWitness{append([]byte(nil), j.cut(r, 64)...)}
	}
}

// inputVSize approximates the virtual size a spend of t adds, for fee
// estimates before a transaction is built (the final fee uses the real size).
func inputVSize(t scriptType) int64 {
	switch t {
	case p2pkh:
		return 148
	case p2shP2wpkh:
		return 91
	case p2shMulti:
		return 297
	case p2wpkh:
		return 68
	default:
		return 58
	}
}

func outputVSize(t scriptType) int64 {
	switch t {
	case p2pkh:
		return 34
	case p2shP2wpkh, p2shMulti:
		return 32
	case p2wpkh:
		return 31
	default:
		return 43
	}
}

// vsize is a transaction's virtual size, ceil(weight/4) (BIP 141).
func vsize(tx *wire.MsgTx) int64 {
	base := int64(tx.SerializeSizeStripped())
	total := int64(tx.SerializeSize())
	return (base*3 + total + 3) / 4
}
