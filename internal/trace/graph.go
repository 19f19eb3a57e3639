package trace

import (
	"errors"
	"fmt"
	"slices"
)

// NoAddress is the address id of an output without an address
// (OP_RETURN, non-standard scripts).
const NoAddress = ^uint32(0)

// Output is one transaction output as the tracer sees it.
type Output struct {
	ID      uint32 // dense output id
	Value   int64  // satoshis
	Address uint32 // dense address id, or NoAddress
}

// TxInfo describes a transaction for reports.
type TxInfo struct {
	TxID   string // reversed hex, as explorers show it
	Height uint32
	Time   int64 // the block's time, Unix seconds
}

// Graph is the transaction graph a trace reads. Ids are dense integers;
// transaction ids grow in chain order, so a spending transaction's id is
// larger than the creating one's. internal/chainindex implements it.
type Graph interface {
	// TxOutputs appends tx's outputs, in output order, to buf.
	TxOutputs(tx uint32, buf []Output) ([]Output, error)
	// TxInputs appends the outputs tx spends, in input order, to buf;
	// none for a coinbase.
	TxInputs(tx uint32, buf []Output) ([]Output, error)
	// SpendingTx returns the transaction spending output o, ok false if
	// it is unspent.
	SpendingTx(o uint32) (tx uint32, ok bool, err error)
	// CreatingTx returns the transaction creating output o and o's index
	// in it.
	CreatingTx(o uint32) (tx, vout uint32, err error)
	// ClusterRoot returns the id of the root address of a's cluster.
	ClusterRoot(a uint32) (uint32, error)
	// TxInfo describes tx.
	TxInfo(tx uint32) (TxInfo, error)
	// AddressString returns the address a as text.
	AddressString(a uint32) (string, error)
}

// Labeler attributes addresses. A Graph may implement it too; an
// [Options.Labels] takes precedence.
type Labeler interface {
	// Label returns the entity controlling address id and its category
	// (exchange, mixer, ...), ok false if unknown.
	Label(address uint32) (entity, category string, ok bool)
}

// Label is one attribution.
type Label struct {
	Entity   string `json:"entity"`
	Category string `json:"category"`
}

// Labels is a Labeler held in memory.
type Labels map[uint32]Label

// Label implements [Labeler].
func (l Labels) Label(address uint32) (string, string, bool) {
	x, ok := l[address]
	return x.Entity, x.Category, ok
}

// ClusterLabels returns l with each labelled address's cluster root
// labelled too (unless the root has a label of its own), so a trace stops
// at any member of an attributed cluster. Where two labelled members
// disagree the one with the smaller address id wins, for a stable answer.
func ClusterLabels(g Graph, l Labels) (Labels, error) {
	out := make(Labels, len(l)*2)
	ids := make([]uint32, 0, len(l))
	for id, x := range l {
		out[id] = x
		ids = append(ids, id)
	}
	slices.Sort(ids)
	for _, id := range ids {
		r, err := g.ClusterRoot(id)
		if err != nil {
			return nil, err
		}
		if _, ok := out[r]; !ok {
			out[r] = l[id]
		}
	}
	return out, nil
}

// Direction is the way a trace goes.
type Direction uint8

const (
	Forward  Direction = iota // where the money went
	Backward                  // where it came from
)

func (d Direction) String() string {
	if d == Backward {
		return "backward"
	}
	return "forward"
}

// ParseDirection parses "forward" or "backward".
func ParseDirection(s string) (Direction, error) {
	switch s {
	case "forward":
		return Forward, nil
	case "backward":
		return Backward, nil
	}
	return 0, fmt.Errorf("%w: direction %q: want forward or backward", ErrBadOptions, s)
}

// Policy is how a transaction passes taint on; see the package doc.
type Policy uint8

const (
	FIFO Policy = iota
	LIFO
	Haircut
	Poison
)

var policyNames = [...]string{"fifo", "lifo", "haircut", "poison"}

func (p Policy) String() string {
	if int(p) < len(policyNames) {
		return policyNames[p]
	}
	return fmt.Sprintf("policy(%d)", p)
}

// ParsePolicy parses fifo, lifo, haircut or poison.
func ParsePolicy(s string) (Policy, error) {
	for i, n := range policyNames {
		if s == n {
			return Policy(i), nil
		}
	}
	return 0, fmt.Errorf("%w: policy %q: want fifo, lifo, haircut or poison", ErrBadOptions, s)
}

// Errors callers can check.
var (
	// ErrBadOptions: an option or start is out of range (a 400).
	ErrBadOptions = errors.New("trace: bad options")
	// ErrGraph: the graph contradicts itself, e.g. a corrupt index (a 500).
	ErrGraph = errors.New("trace: inconsistent graph")
)
