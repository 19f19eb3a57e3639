package stix

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"strings"
)

// validAddress checks a wallet address on chain. Bitcoin addresses are
// decoded and their checksums verified, so a mistyped address is refused
// at ingest rather than matched against nothing for years.
func validAddress(chain, a string) error {
	if a == "" || len(a) > maxCryptoValue {
		return fmt.Errorf("want 1 to %d characters", maxCryptoValue)
	}
	switch strings.ToLower(chain) {
	case "bitcoin":
		if len(a) > 3 && strings.EqualFold(a[:3], "bc1") {
			return checkSegwit(a)
		}
		return checkBase58Bitcoin(a)
	case "ethereum":
		if len(a) != 42 || !strings.HasPrefix(a, "0x") || !allHex(a[2:]) {
			return fmt.Errorf("not an ethereum address (want 0x and 40 hex digits)")
		}
		return nil
	}
	for i := 0; i < len(a); i++ {
		c := a[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == ':' || c == '_' || c == '-') {
			return fmt.Errorf("want letters, digits, ':', '_' or '-'")
		}
	}
	return nil
}

// validTxid wants 64 hex digits, 0x-prefixed or not except on bitcoin.
func validTxid(chain, t string) error {
	h := t
	if strings.ToLower(chain) != "bitcoin" {
		h = strings.TrimPrefix(t, "0x")
	}
	if len(h) != 64 || !allHex(h) {
		return fmt.Errorf("want a transaction id of 64 hex digits")
	}
	return nil
}

const base58Chars = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"

// checkBase58Bitcoin checks a legacy address: Base58Check of a version
// byte (0x00 P2PKH, 0x05 P2SH) and a 20-byte hash.
func checkBase58Bitcoin(a string) error {
	b, ok := decodeBase58(a)
	if !ok || len(b) != 25 || b[0] != 0x00 && b[0] != 0x05 {
		return fmt.Errorf("not a bitcoin address (want 1... or 3... in base58, or bc1...)")
	}
	first := sha256.Sum256(b[:21])
	sum := sha256.Sum256(first[:])
	if !bytes.Equal(sum[:4], b[21:]) {
		return fmt.Errorf("bad Base58Check checksum")
	}
	return nil
}

// decodeBase58 decodes s, which callers bound to maxCryptoValue, so the
// quadratic loop stays small.
func decodeBase58(s string) ([]byte, bool) {
	var out []byte // big-endian
	for i := 0; i < len(s); i++ {
		carry := strings.IndexByte(base58Chars, s[i])
		if carry < 0 {
			return nil, false
		}
		for j := len(out) - 1; j >= 0; j-- {
			carry += int(out[j]) * 58
			out[j] = byte(carry)
			carry >>= 8
		}
		for ; carry > 0; carry >>= 8 {
			out = append([]byte{byte(carry)}, out...)
		}
	}
	zeros := 0
	for zeros < len(s) && s[zeros] == '1' {
		zeros++
	}
	return append(make([]byte, zeros), out...), true
}

const bech32Chars = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"

// Checksum constants of BIP 173 (bech32, witness v0) and BIP 350
// (bech32m, witness v1 and later).
const (
	bech32Const  = 1
	bech32mConst = 0x2bc830a3
)

// checkSegwit checks a bc1 address per BIP 173 and BIP 350: one case, the
// checksum matching the witness version, and a valid program length.
func checkSegwit(a string) error {
	if a != strings.ToLower(a) && a != strings.ToUpper(a) {
		return fmt.Errorf("bech32 address in mixed case")
	}
	a = strings.ToLower(a)
	if len(a) < 14 || len(a) > 90 {
		return fmt.Errorf("not a bech32 bitcoin address (length)")
	}
	data := make([]byte, 0, len(a)-3)
	for i := 3; i < len(a); i++ {
		v := strings.IndexByte(bech32Chars, a[i])
		if v < 0 {
			return fmt.Errorf("not a bech32 bitcoin address (character %q)", a[i])
		}
		data = append(data, byte(v))
	}
	version := data[0]
	want := uint32(bech32mConst)
	if version == 0 {
		want = bech32Const
	}
	if bech32Polymod(append([]byte{3, 3, 0, 2, 3}, data...)) != want { // "bc" expanded
		return fmt.Errorf("bad bech32 checksum")
	}
	prog, ok := convert5to8(data[1 : len(data)-6])
	switch {
	case version > 16 || !ok || len(prog) < 2 || len(prog) > 40:
		return fmt.Errorf("not a segwit program")
	case version == 0 && len(prog) != 20 && len(prog) != 32:
		return fmt.Errorf("witness v0 program of %d bytes", len(prog))
	}
	return nil
}

func bech32Polymod(values []byte) uint32 {
	gen := [5]uint32{0x3b6a57b2, 0x26508e6d, 0x1ea119fa, 0x3d4233dd, 0x2a1462b3}
	chk := uint32(1)
	for _, v := range values {
		top := chk >> 25
		chk = (chk&0x1ffffff)<<5 ^ uint32(v)
		for i := range 5 {
			if top>>i&1 == 1 {
				chk ^= gen[i]
			}
		}
	}
	return chk
}

// convert5to8 regroups 5-bit values into bytes; leftover bits must be
// fewer than 5 and zero (BIP 173).
func convert5to8(data []byte) ([]byte, bool) {
	var acc, bits uint
	var out []byte
	for _, v := range data {
		acc = acc<<5 | uint(v)
		bits += 5
		for bits >= 8 {
			bits -= 8
			out = append(out, byte(acc>>bits))
		}
	}
	return out, bits < 5 && acc&(1<<bits-1) == 0
}
