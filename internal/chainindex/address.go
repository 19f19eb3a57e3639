package chainindex

import (
	"errors"
	"fmt"
	"strings"

	"github.com/btcsuite/btcd/btcutil/base58"
	"github.com/btcsuite/btcd/btcutil/bech32"
	"github.com/entente/entente/internal/chain"
)

// ErrBadAddress is returned for a string that is no address of the index's
// network.
var ErrBadAddress = errors.New("chainindex: not an address of this network")

// maxKey bounds an address key: class, witness version, 40-byte program.
const maxKey = 2 + 40

// appendKey appends the address key of an output script to dst: the
// chain.ScriptClass, the witness version and the hash or program. P2PK is
// keyed as the P2PKH of its key, the address explorers show for it. It
// returns dst unchanged (ok false) for scripts with no address.
func appendKey(dst, script []byte) ([]byte, bool) {
	d := chain.ClassifyScript(script)
	switch d.Class {
	case chain.PubKey:
		return append(append(dst, byte(chain.PubKeyHash), 0), chain.Hash160(d.Data)...), true
	case chain.PubKeyHash, chain.ScriptHash, chain.WitnessV0PubKeyHash, chain.WitnessV0ScriptHash,
		chain.WitnessV1Taproot, chain.WitnessUnknown:
		return append(append(dst, byte(d.Class), byte(d.WitnessVersion)), d.Data...), true
	}
	return dst, false
}

// keyString encodes an address key for the network.
func keyString(net chain.Network, key []byte) (string, error) {
	if len(key) < 2 {
		return "", fmt.Errorf("%w: address key of %d bytes", ErrCorrupt, len(key))
	}
	return net.Address(chain.Destination{Class: chain.ScriptClass(key[0]), WitnessVersion: int(key[1]), Data: key[2:]})
}

// parseAddress returns the key of an address string of the network. The
// key is encoded back and compared, so only the canonical spelling of an
// address is accepted (and bech32 versus bech32m is checked).
func parseAddress(net chain.Network, addr string) ([]byte, error) {
	if len(addr) > 128 {
		return nil, fmt.Errorf("%w: %d characters", ErrBadAddress, len(addr))
	}
	var key []byte
	if strings.HasPrefix(strings.ToLower(addr), net.HRP+"1") {
		_, data, _, err := bech32.DecodeGeneric(addr)
		if err != nil || len(data) < 1 || data[0] > 16 {
			return nil, fmt.Errorf("%w: %q", ErrBadAddress, addr)
		}
		prog, err := bech32.ConvertBits(data[1:], 5, 8, false)
		if err != nil {
			return nil, fmt.Errorf("%w: %q", ErrBadAddress, addr)
		}
		script := []byte{0, byte(len(prog))}
		if data[0] > 0 {
			script[0] = 0x50 + data[0] // OP_1..OP_16
		}
		var ok bool
		if key, ok = appendKey(nil, append(script, prog...)); !ok {
			return nil, fmt.Errorf("%w: %q", ErrBadAddress, addr)
		}
	} else {
		payload, version, err := base58.CheckDecode(addr)
		if err != nil || len(payload) != 20 {
			return nil, fmt.Errorf("%w: %q", ErrBadAddress, addr)
		}
		switch version {
		case net.PubKeyHashAddrID:
			key = append([]byte{byte(chain.PubKeyHash), 0}, payload...)
		case net.ScriptHashAddrID:
			key = append([]byte{byte(chain.ScriptHash), 0}, payload...)
		default:
			return nil, fmt.Errorf("%w: %q has version byte %#02x", ErrBadAddress, addr, version)
		}
	}
	if s, err := keyString(net, key); err != nil || s != addr {
		return nil, fmt.Errorf("%w: %q", ErrBadAddress, addr)
	}
	return key, nil
}
