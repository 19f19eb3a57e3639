package chain

import "fmt"

// Network holds what differs between Bitcoin networks in the formats this
// package reads and writes.
type Network struct {
	// Name is the name [ParseNetwork] accepts.
	Name string
	// Magic starts every block record of a block file (and every P2P
	// message), in file byte order.
	Magic [4]byte
	// PubKeyHashAddrID and ScriptHashAddrID are the base58check version
	// bytes of P2PKH and P2SH addresses.
	PubKeyHashAddrID byte
	ScriptHashAddrID byte
	// HRP is the human-readable part of bech32 and bech32m addresses.
	HRP string
}

// ParseNetwork returns the parameters of "mainnet", "testnet" (testnet3),
// "signet" (the default signet), "regtest" or "simnet" (btcd's).
func ParseNetwork(name string) (Network, error) {
	switch name {
	case "mainnet":
		return Network{Name: name, Magic: [4]byte{0xf9, 0xbe, 0xb4, 0xd9}, PubKeyHashAddrID: 0x00, ScriptHashAddrID: 0x05, HRP: "bc"}, nil
	case "testnet", "testnet3":
		return Network{Name: "testnet", Magic: [4]byte{0x0b, 0x11, 0x09, 0x07}, PubKeyHashAddrID: 0x6f, ScriptHashAddrID: 0xc4, HRP: "tb"}, nil
	case "signet":
		return Network{Name: name, Magic: [4]byte{0x0a, 0x03, 0xcf, 0x40}, PubKeyHashAddrID: 0x6f, ScriptHashAddrID: 0xc4, HRP: "tb"}, nil
	case "regtest":
		return Network{Name: name, Magic: [4]byte{0xfa, 0xbf, 0xb5, 0xda}, PubKeyHashAddrID: 0x6f, ScriptHashAddrID: 0xc4, HRP: "bcrt"}, nil
	case "simnet":
		return Network{Name: name, Magic: [4]byte{0x16, 0x1c, 0x14, 0x12}, PubKeyHashAddrID: 0x3f, ScriptHashAddrID: 0x7b, HRP: "sb"}, nil
	}
	return Network{}, fmt.Errorf("%w %q (want mainnet, testnet, signet, regtest or simnet)", ErrUnknownNetwork, name)
}
