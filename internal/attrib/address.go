package attrib

import (
	"fmt"
	"strings"

	"github.com/btcsuite/btcd/btcutil/base58"
	"github.com/btcsuite/btcd/btcutil/bech32"
	"github.com/entente/entente/internal/chain"
)

// CheckAddress reports whether addr is an address of net in its canonical
// spelling (bech32 in lower case), the form the chain index keys by: it
// is decoded and encoded back with [chain.Network.Address].
func CheckAddress(net chain.Network, addr string) error {
	bad := fmt.Errorf("%w: not an address of %s: %.140q", ErrInvalid, net.Name, addr)
	if len(addr) > MaxAddressLen {
		return bad
	}
	var d chain.Destination
	if strings.HasPrefix(strings.ToLower(addr), net.HRP+"1") {
		_, data, _, err := bech32.DecodeGeneric(addr)
		if err != nil || len(data) < 1 || data[0] > 16 {
			return bad
		}
		prog, err := bech32.ConvertBits(data[1:], 5, 8, false)
		if err != nil {
			return bad
		}
		d = chain.Destination{Class: chain.WitnessUnknown, WitnessVersion: int(data[0]), Data: prog}
		switch {
		case data[0] == 0 && len(prog) == 20:
			d.Class = chain.WitnessV0PubKeyHash
		case data[0] == 0 && len(prog) == 32:
			d.Class = chain.WitnessV0ScriptHash
		case data[0] == 0:
			return bad
		case data[0] == 1 && len(prog) == 32:
			d.Class = chain.WitnessV1Taproot
		}
	} else {
		payload, version, err := base58.CheckDecode(addr)
		if err != nil || len(payload) != 20 {
			return bad
		}
		switch version {
		case net.PubKeyHashAddrID:
			d = chain.Destination{Class: chain.PubKeyHash, Data: payload}
		case net.ScriptHashAddrID:
			d = chain.Destination{Class: chain.ScriptHash, Data: payload}
		default:
			return bad
		}
	}
	if s, err := net.Address(d); err != nil || s != addr {
		return bad
	}
	return nil
}
