package trace

import (
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
)

// SpecKind is what a start specification names.
type SpecKind uint8

const (
	SpecAddress SpecKind = iota // every output the address received
	SpecTx                      // every output of the transaction
	SpecOutput                  // one output, txid:n
)

// Spec is a parsed start point: "ADDR", "TXID" or "TXID:N". The address
// is not checked here (its encoding belongs to the chain's network).
type Spec struct {
	Kind    SpecKind
	Address string
	TxID    string // 64 lower-case hex digits
	Vout    uint32
}

// maxSpec bounds a start specification; the longest address is 90
// characters (bech32), a txid:n at most 64+1+10.
const maxSpec = 128

// ParseSpec parses a start specification.
func ParseSpec(s string) (Spec, error) {
	if s == "" || len(s) > maxSpec {
		return Spec{}, fmt.Errorf("%w: start %.40q: want an address, a txid or txid:n", ErrBadOptions, s)
	}
	txid, vout, hasVout := strings.Cut(s, ":")
	if len(txid) == 64 {
		if _, err := hex.DecodeString(txid); err == nil {
			sp := Spec{Kind: SpecTx, TxID: strings.ToLower(txid)}
			if !hasVout {
				return sp, nil
			}
			n, err := strconv.ParseUint(vout, 10, 32)
			if err != nil || (len(vout) > 1 && vout[0] == '0') {
				return Spec{}, fmt.Errorf("%w: start %q: output index %q is not a number", ErrBadOptions, s, vout)
			}
			sp.Kind, sp.Vout = SpecOutput, uint32(n)
			return sp, nil
		}
	}
	if hasVout || strings.ContainsAny(s, " \t\r\n") {
		return Spec{}, fmt.Errorf("%w: start %q: want an address, a txid or txid:n", ErrBadOptions, s)
	}
	return Spec{Kind: SpecAddress, Address: s}, nil
}

// String formats s the way ParseSpec reads it.
func (s Spec) String() string {
	switch s.Kind {
	case SpecTx:
		return s.TxID
	case SpecOutput:
		return s.TxID + ":" + strconv.FormatUint(uint64(s.Vout), 10)
	}
	return s.Address
}
