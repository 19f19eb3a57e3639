package cluster

import (
	"fmt"
	"strings"

	"github.com/entente/entente/internal/chain"
)

// Change heuristics guess which output of a payment went back to the payer:
// linking that output's address to the inputs' cluster is how a wallet's
// fresh change addresses join it when they are never spent together.
//
// Each heuristic looks at one transaction through a [Tx] view and names
// the change output or none. A wrong guess merges a stranger for good, so
// every heuristic abstains unless exactly one output fits, and none fires
// on a coinbase or a CoinJoin ([DetectCoinJoin]). An output paying back
// to an input's address is the change whatever the heuristic (it links
// nothing new, and it keeps a heuristic from naming the payee). They are
// off by default: an analysis chooses a [Heuristics] set, [Change]
// combines the chosen ones, and an [Overlay] applies them to a chain.
//
// The set also holds one heuristic that is not about change: [BySweep]
// links a custodial service's deposit addresses to the hot address they
// are swept into, by transactions of one output no change heuristic
// judges ([Overlay.Sweep]).

// NoAddress is the address id of an input or output without an address
// (OP_RETURN, bare multisig, non-standard scripts).
const NoAddress = ^uint32(0)

// In is one input of a transaction: the output it spends.
type In struct {
	Addr  uint32            // address id, or NoAddress
	Class chain.ScriptClass // of the address (P2PK counts as P2PKH)
	Value int64
}

// Out is one output of a transaction with what became of it.
type Out struct {
	Addr  uint32 // address id, or NoAddress
	Class chain.ScriptClass
	Value int64
	// Seen: the address had received an output before this transaction.
	Seen bool
	// Spent, and then the spending transaction's fingerprint and its
	// numbers of inputs and outputs.
	Spent       bool
	SpenderFP   Fingerprint
	SpenderIns  uint32
	SpenderOuts uint32
	// SpenderCoinJoin: the spender is a CoinJoin, whose fingerprint and
	// shape are the coordinator's, not the owner's.
	SpenderCoinJoin bool
}

// Tx is the view of one transaction the change heuristics read. A filler
// (the chain index) reuses one Tx for every transaction: Reset keeps the
// slices' storage.
type Tx struct {
	Coinbase bool
	FP       Fingerprint // the transaction's own wallet fingerprint
	Ins      []In
	Outs     []Out

	// Scratch for DetectCoinJoin; a filler may use SpenderAddrs and
	// SpenderValues for the spenders'.
	inAddrs       []uint32
	outVals       []int64
	SpenderAddrs  []uint32
	SpenderValues []int64
}

// Reset empties t for the next transaction, keeping its storage.
func (t *Tx) Reset() {
	t.Coinbase, t.FP = false, 0
	t.Ins, t.Outs = t.Ins[:0], t.Outs[:0]
}

// Heuristics is a set of change heuristics, with the rule that combines
// them. The zero value chooses none: multi-input clustering alone.
type Heuristics uint16

// The heuristics, each usable alone or with others.
const (
	// ByType: the inputs share one script class and exactly one output
	// has it (a wallet pays change to its own kind of address).
	ByType Heuristics = 1 << iota
	// ByRound: exactly one output's value is not round (a multiple of
	// [RoundUnit]); people type round amounts, change is what is left.
	ByRound
	// ByOptimal: two or more inputs, two outputs, exactly one smaller than
	// the smallest input (a wallet would not have added an input it did
	// not need to pay it).
	ByOptimal
	// ByFresh: exactly one output goes to an address never seen before,
	// every other to an address seen before (one-time change addresses,
	// reused receive addresses).
	ByFresh
	// ByFingerprint: every output is spent, none in a CoinJoin, and
	// exactly one by a transaction with this one's wallet fingerprint,
	// witness bit aside (the payer's own program spends its change; payees
	// run other programs).
	ByFingerprint
	// ByPeel: one input, two outputs, both spent, none in a CoinJoin;
	// exactly one, the larger, spent by a transaction of one input and two
	// outputs (a peeling chain: the remainder moves on, peeled again).
	ByPeel
	// Vote changes the rule: a change output needs at least two chosen
	// heuristics naming it. Without Vote one suffices. Either way none of
	// the chosen heuristics may name another output.
	Vote
	// BySweep is not a change heuristic: it judges the transactions of one
	// output that change heuristics leave alone. A custodial service (an
	// exchange, a market, a mixer) gives each customer a deposit address
	// and sweeps the deposits into a reused hot address; a transaction
	// whose inputs are all of one cluster and whose one output pays a
	// collector, an address that has already received [Overlay.SweepMin]
	// such sweeps from distinct clusters, all with this one's wallet
	// fingerprint, merges its inputs' cluster into the collector's. See
	// [Overlay.Sweep] for what it checks and why. Vote does not apply to it.
	BySweep

	// AllHeuristics is every change heuristic, without Vote or BySweep.
	AllHeuristics = ByType | ByRound | ByOptimal | ByFresh | ByFingerprint | ByPeel
	// spenderBased heuristics read what later transactions did.
	spenderBased = ByFingerprint | ByPeel
)

// RoundUnit is the unit of a round value: 0.0001 BTC. A change value is a
// multiple of it one time in 10,000.
const RoundUnit = 10_000

var heuristicNames = []struct {
	name string
	h    Heuristics
}{
	{"type", ByType}, {"round", ByRound}, {"optimal", ByOptimal}, {"fresh", ByFresh},
	{"fingerprint", ByFingerprint}, {"peel", ByPeel}, {"sweep", BySweep}, {"vote", Vote},
}

// namedSets are combinations with a name of their own.
var namedSets = []struct {
	name string
	h    Heuristics
	doc  string
}{
	{"none", 0, "multi-input only"},
	{"all", AllHeuristics, "every change heuristic, one suffices"},
	{"consensus", AllHeuristics | Vote, "every change heuristic, two must agree"},
	{"careful", Careful, "fresh,fingerprint"},
	{"broad", Broad, "type,fresh,fingerprint"},
	{"custodial", Custodial, "fresh,fingerprint,sweep"},
}

// Named combinations, chosen on the synthetic economies of seeds 1 and 2
// (ACCURACY.md): Careful made no false merge there; Broad found the most
// pairs at a precision of 0.999; Custodial, Careful with the sweep
// heuristic, made no false merge and found 86% of the pairs.
const (
	Careful   = ByFresh | ByFingerprint
	Broad     = ByType | ByFresh | ByFingerprint
	Custodial = Careful | BySweep
)

// HeuristicNames lists the names ParseHeuristics accepts, for help texts.
func HeuristicNames() string {
	var b strings.Builder
	for _, n := range heuristicNames {
		b.WriteString(n.name + ", ")
	}
	for i, n := range namedSets {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%s (%s)", n.name, n.doc)
	}
	return b.String()
}

// ParseHeuristics parses a comma-separated list of heuristic and set
// names ("type,fresh", "all,vote"), case-insensitive; the empty string is
// no heuristic.
func ParseHeuristics(s string) (Heuristics, error) {
	var h Heuristics
	if strings.TrimSpace(s) == "" {
		return 0, nil
	}
	if len(s) > 256 {
		return 0, fmt.Errorf("change heuristics: list of %d characters", len(s))
	}
next:
	for _, f := range strings.Split(s, ",") {
		f = strings.ToLower(strings.TrimSpace(f))
		for _, n := range heuristicNames {
			if f == n.name {
				h |= n.h
				continue next
			}
		}
		for _, n := range namedSets {
			if f == n.name {
				h |= n.h
				continue next
			}
		}
		return 0, fmt.Errorf("change heuristics: unknown heuristic %q (want %s)", f, HeuristicNames())
	}
	if h&Vote != 0 && h&AllHeuristics == 0 {
		return 0, fmt.Errorf("change heuristics: %q chooses vote but no heuristic to vote", s)
	}
	return h, nil
}

// String returns the canonical list: "all" for every change heuristic,
// "none" for the empty set, else the names in a fixed order (sweep, then
// vote, last).
func (h Heuristics) String() string {
	if h&^Vote == 0 {
		if h == Vote {
			return "vote"
		}
		return "none"
	}
	var parts []string
	if h&AllHeuristics == AllHeuristics {
		parts = append(parts, "all")
	} else {
		for _, n := range heuristicNames {
			if n.h&AllHeuristics != 0 && h&n.h != 0 {
				parts = append(parts, n.name)
			}
		}
	}
	if h&BySweep != 0 {
		parts = append(parts, "sweep")
	}
	if h&Vote != 0 {
		parts = append(parts, "vote")
	}
	return strings.Join(parts, ",")
}

// SpenderBased reports whether h reads later transactions (fingerprint,
// peel). Such a set can decide a transaction only once all of its outputs
// are spent; see [Change].
func (h Heuristics) SpenderBased() bool { return h&spenderBased != 0 }

// Change returns the index in tx.Outs of the change output under the
// heuristics h, or -1. Each chosen heuristic names an output or abstains;
// the change is the output named by at least one (two with Vote), if no
// chosen heuristic names another.
//
// When h includes a spender-based heuristic, a transaction with an
// unspent output is not decided at all (-1), even if another chosen
// heuristic fires: a later spend could contradict a merge already made,
// and a merge is permanent. Deciding each transaction once, with all it
// will ever tell, is what makes clustering block by block equal a pass
// over the whole chain.
func Change(tx *Tx, h Heuristics) int {
	if h&AllHeuristics == 0 || !tx.eligible() {
		return -1
	}
	if h.SpenderBased() && !tx.allSpent() {
		return -1
	}
	if c, ok := tx.selfChange(); ok {
		return c
	}
	need := 1
	if h&Vote != 0 {
		need = 2
	}
	choice, votes := -1, 0
	for _, f := range []struct {
		h  Heuristics
		fn func(*Tx) int
	}{{ByType, byType}, {ByRound, byRound}, {ByOptimal, byOptimal}, {ByFresh, byFresh}, {ByFingerprint, byFingerprint}, {ByPeel, byPeel}} {
		if h&f.h == 0 {
			continue
		}
		c := f.fn(tx)
		switch {
		case c < 0:
		case choice < 0:
			choice, votes = c, 1
		case c == choice:
			votes++
		default:
			return -1 // the chosen heuristics disagree
		}
	}
	if votes < need {
		return -1
	}
	return choice
}

// The heuristics one by one, each -1 when it does not fire.

// ChangeByType applies the address type heuristic ([ByType]).
func ChangeByType(tx *Tx) int { return single(tx, byType) }

// ChangeByRound applies the round value heuristic ([ByRound]).
func ChangeByRound(tx *Tx) int { return single(tx, byRound) }

// ChangeByOptimal applies the optimal change heuristic ([ByOptimal]).
func ChangeByOptimal(tx *Tx) int { return single(tx, byOptimal) }

// ChangeByFresh applies the fresh address heuristic ([ByFresh]).
func ChangeByFresh(tx *Tx) int { return single(tx, byFresh) }

// ChangeByFingerprint applies the wallet fingerprint heuristic
// ([ByFingerprint]).
func ChangeByFingerprint(tx *Tx) int { return single(tx, byFingerprint) }

// ChangeByPeel applies the peeling chain heuristic ([ByPeel]).
func ChangeByPeel(tx *Tx) int { return single(tx, byPeel) }

func single(tx *Tx, fn func(*Tx) int) int {
	if !tx.eligible() {
		return -1
	}
	if c, ok := tx.selfChange(); ok {
		return c
	}
	return fn(tx)
}

// candidate reports whether output o could be change: it has an address
// and a value.
func (o *Out) candidate() bool { return o.Addr != NoAddress && o.Value > 0 }

// eligible: not a coinbase, two or more candidate outputs, an input with
// an address, and not a CoinJoin.
func (tx *Tx) eligible() bool {
	if tx.Coinbase || len(tx.Ins) == 0 {
		return false
	}
	n := 0
	tx.outVals = tx.outVals[:0]
	for i := range tx.Outs {
		if tx.Outs[i].candidate() {
			n++
		}
		tx.outVals = append(tx.outVals, tx.Outs[i].Value)
	}
	if n < 2 {
		return false
	}
	tx.inAddrs = tx.inAddrs[:0]
	for i := range tx.Ins {
		if tx.Ins[i].Addr != NoAddress {
			tx.inAddrs = append(tx.inAddrs, tx.Ins[i].Addr)
		}
	}
	return len(tx.inAddrs) > 0 && DetectCoinJoin(tx.inAddrs, tx.outVals) == NotCoinJoin
}

// allSpent reports whether every candidate output is spent.
func (tx *Tx) allSpent() bool {
	for i := range tx.Outs {
		if o := &tx.Outs[i]; o.candidate() && !o.Spent {
			return false
		}
	}
	return true
}

// selfChange finds an output paying back to an input's address: that is
// the change, certainly, and no heuristic may name another output (a
// fresh payee address next to it is the payment). ok is true when some
// output pays an input's address; c is -1 when two do.
func (tx *Tx) selfChange() (c int, ok bool) {
	c = -1
	for i := range tx.Outs {
		o := &tx.Outs[i]
		if !o.candidate() {
			continue
		}
		for j := range tx.Ins {
			if tx.Ins[j].Addr == o.Addr {
				if ok {
					return -1, true
				}
				c, ok = i, true
				break
			}
		}
	}
	return c, ok
}

func (tx *Tx) candidates() int {
	n := 0
	for i := range tx.Outs {
		if tx.Outs[i].candidate() {
			n++
		}
	}
	return n
}

// unique returns the one candidate output for which fit holds, or -1 if
// none or several do.
func (tx *Tx) unique(fit func(o *Out) bool) int {
	c := -1
	for i := range tx.Outs {
		o := &tx.Outs[i]
		if !o.candidate() || !fit(o) {
			continue
		}
		if c >= 0 {
			return -1
		}
		c = i
	}
	return c
}

func byType(tx *Tx) int {
	class := chain.NonStandard
	for i := range tx.Ins {
		in := &tx.Ins[i]
		if in.Addr == NoAddress {
			continue
		}
		if class != chain.NonStandard && in.Class != class {
			return -1 // inputs of several types: no type of its own
		}
		class = in.Class
	}
	return tx.unique(func(o *Out) bool { return o.Class == class })
}

func byRound(tx *Tx) int {
	return tx.unique(func(o *Out) bool { return o.Value%RoundUnit != 0 })
}

func byOptimal(tx *Tx) int {
	if tx.candidates() != 2 || len(tx.Ins) < 2 {
		return -1 // one input can not be unnecessary; a batch's payees are each small
	}
	least := tx.Ins[0].Value
	for i := range tx.Ins {
		least = min(least, tx.Ins[i].Value)
	}
	return tx.unique(func(o *Out) bool { return o.Value < least })
}

func byFresh(tx *Tx) int {
	return tx.unique(func(o *Out) bool { return !o.Seen })
}

// spentAlone reports whether every candidate output is spent, none in a
// CoinJoin.
func (tx *Tx) spentAlone() bool {
	for i := range tx.Outs {
		if o := &tx.Outs[i]; o.candidate() && (!o.Spent || o.SpenderCoinJoin) {
			return false
		}
	}
	return true
}

func byFingerprint(tx *Tx) int {
	if !tx.spentAlone() {
		return -1
	}
	// The witness bit says which kind of input the spender spent, not
	// which program built it: a wallet spending a change output of the
	// payee's type (Bitcoin Core since 23.0) flips it.
	const program = ^Fingerprint(1 << 6)
	return tx.unique(func(o *Out) bool { return o.SpenderFP&program == tx.FP&program })
}

func byPeel(tx *Tx) int {
	if tx.candidates() != 2 || len(tx.Ins) != 1 || !tx.spentAlone() {
		return -1
	}
	c := tx.unique(func(o *Out) bool { return o.SpenderIns == 1 && o.SpenderOuts == 2 })
	if c < 0 {
		return -1
	}
	for i := range tx.Outs {
		if o := &tx.Outs[i]; i != c && o.candidate() && o.Value > tx.Outs[c].Value {
			return -1 // the remainder moving on is the larger part
		}
	}
	return c
}
