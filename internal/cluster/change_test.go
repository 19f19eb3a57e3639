package cluster

import (
	"strings"
	"testing"

	"github.com/entente/entente/internal/chain"
)

const (
	pkh  = chain.PubKeyHash
	wpkh = chain.WitnessV0PubKeyHash
	sh   = chain.ScriptHash
	tr   = chain.WitnessV1Taproot

	// Fingerprints of two wallet programs: Core-like (version 2,
	// anti fee sniping, replace-by-fee) and a mobile wallet's (version
	// 1, no locktime, final).
	fpCore   = Fingerprint(1 | 1<<2 | SeqRBF<<4 | 1<<6)
	fpMobile = Fingerprint(0)
)

// in1 is one input of address 1.
func in1(class chain.ScriptClass, value int64) []In {
	return []In{{Addr: 1, Class: class, Value: value}}
}

// out is an output spent by a one-input, two-output transaction with
// fingerprint fp; spent false leaves it unspent.
func out(addr uint32, class chain.ScriptClass, value int64, seen bool, fp Fingerprint, spent bool) Out {
	o := Out{Addr: addr, Class: class, Value: value, Seen: seen}
	if spent {
		o.Spent, o.SpenderFP, o.SpenderIns, o.SpenderOuts = true, fp, 1, 2
	}
	return o
}

func TestChangeHeuristics(t *testing.T) {
	byName := map[string]func(*Tx) int{
		"type": ChangeByType, "round": ChangeByRound, "optimal": ChangeByOptimal,
		"fresh": ChangeByFresh, "fingerprint": ChangeByFingerprint, "peel": ChangeByPeel,
	}
	// A payment from address 1 (P2WPKH, Core-like): 0.02 BTC to a
	// P2PKH address seen before (output 0), change to a fresh P2WPKH
	// address (output 1), each spent by its owner's program.
	payment := func() Tx {
		return Tx{FP: fpCore, Ins: in1(wpkh, 3_000_000), Outs: []Out{
			out(2, pkh, 2_000_000, true, fpMobile, true),
			out(3, wpkh, 987_654, false, fpCore, true),
		}}
	}
	with := func(edit func(*Tx)) Tx { tx := payment(); edit(&tx); return tx }
	tests := []struct {
		name string
		heur string
		tx   Tx
		want int
	}{
		// Each heuristic names output 1 on the plain payment.
		{"type fires", "type", payment(), 1},
		{"round fires", "round", payment(), 1},
		{"fresh fires", "fresh", payment(), 1},
		{"fingerprint fires", "fingerprint", payment(), 1},

		{"type: both outputs of the inputs' type", "type", with(func(tx *Tx) { tx.Outs[0].Class = wpkh }), -1},
		{"type: no output of the inputs' type", "type", with(func(tx *Tx) { tx.Outs[1].Class = tr }), -1},
		{"type: inputs of two types", "type", with(func(tx *Tx) {
			tx.Ins = append(tx.Ins, In{Addr: 4, Class: sh, Value: 10})
		}), -1},
		{"round: both round", "round", with(func(tx *Tx) { tx.Outs[1].Value = 990_000 }), -1},
		{"round: neither round", "round", with(func(tx *Tx) { tx.Outs[0].Value = 2_000_001 }), -1},
		{"optimal fires", "optimal", with(func(tx *Tx) {
			tx.Ins = []In{{Addr: 1, Class: wpkh, Value: 1_500_000}, {Addr: 1, Class: wpkh, Value: 1_500_000}}
		}), 1},
		{"optimal: one input", "optimal", payment(), -1},
		{"optimal: both outputs below the smallest input", "optimal", with(func(tx *Tx) {
			tx.Ins = []In{{Addr: 1, Class: wpkh, Value: 2_500_000}, {Addr: 1, Class: wpkh, Value: 500_000}}
		}), -1},
		{"optimal: a batch of three", "optimal", with(func(tx *Tx) {
			tx.Ins = []In{{Addr: 1, Class: wpkh, Value: 1_500_000}, {Addr: 1, Class: wpkh, Value: 1_500_000}}
			tx.Outs = append(tx.Outs, out(5, pkh, 3000, true, fpMobile, true))
		}), -1},
		{"fresh: both fresh", "fresh", with(func(tx *Tx) { tx.Outs[0].Seen = false }), -1},
		{"fresh: both seen", "fresh", with(func(tx *Tx) { tx.Outs[1].Seen = true }), -1},
		{"fingerprint: both spent by the same program", "fingerprint", with(func(tx *Tx) { tx.Outs[0].SpenderFP = fpCore }), -1},
		{"fingerprint: witness bit aside", "fingerprint", with(func(tx *Tx) { tx.Outs[1].SpenderFP = fpCore &^ (1 << 6) }), 1},
		{"fingerprint: payee not spent yet", "fingerprint", with(func(tx *Tx) { tx.Outs[0] = out(2, pkh, 2_000_000, true, 0, false) }), -1},
		{"fingerprint: change spent in a CoinJoin", "fingerprint", with(func(tx *Tx) {
			tx.Outs[0].SpenderFP, tx.Outs[1].SpenderCoinJoin = fpCore, true
		}), -1},
		{"peel: the output moving on is the smaller", "peel", with(func(tx *Tx) {
			tx.Outs[0].SpenderIns, tx.Outs[0].SpenderOuts = 100, 1 // a deposit swept
		}), -1},
		{"peel: remainder larger", "peel", Tx{FP: fpCore, Ins: in1(wpkh, 10_000_000), Outs: []Out{
			{Addr: 2, Class: wpkh, Value: 1_000_000, Spent: true, SpenderIns: 100, SpenderOuts: 1},
			{Addr: 3, Class: wpkh, Value: 8_900_000, Spent: true, SpenderIns: 1, SpenderOuts: 2},
		}}, 1},
		{"peel: both continue", "peel", payment(), -1},
		{"peel: two inputs", "peel", Tx{FP: fpCore, Ins: []In{{Addr: 1, Value: 5e6}, {Addr: 1, Value: 5e6}}, Outs: []Out{
			{Addr: 2, Value: 1_000_000, Spent: true, SpenderIns: 100, SpenderOuts: 1},
			{Addr: 3, Value: 8_900_000, Spent: true, SpenderIns: 1, SpenderOuts: 2},
		}}, -1},
		{"peel: remainder unspent", "peel", Tx{FP: fpCore, Ins: in1(wpkh, 10_000_000), Outs: []Out{
			{Addr: 2, Value: 1_000_000, Spent: true, SpenderIns: 100, SpenderOuts: 1},
			{Addr: 3, Value: 8_900_000},
		}}, -1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tx := tt.tx
			if got := byName[tt.heur](&tx); got != tt.want {
				t.Errorf("%s = %d, want %d", tt.heur, got, tt.want)
			}
		})
	}

	// None fires on a coinbase, a CoinJoin, a transaction of one output,
	// or next to an output paying back to an input's address.
	never := []struct {
		name string
		tx   Tx
		want int
	}{
		{"coinbase", with(func(tx *Tx) { tx.Coinbase, tx.Ins = true, nil }), -1},
		{"one output", with(func(tx *Tx) { tx.Outs = tx.Outs[1:] }), -1},
		{"one output and OP_RETURN", with(func(tx *Tx) { tx.Outs[0].Addr, tx.Outs[0].Value = NoAddress, 0 }), -1},
		{"generic CoinJoin", Tx{FP: fpCore, Ins: []In{{Addr: 1, Class: wpkh, Value: 2e6}, {Addr: 7, Class: wpkh, Value: 2e6}}, Outs: []Out{
			out(2, wpkh, 1e6, false, fpCore, true), out(3, wpkh, 1e6, false, fpMobile, true),
			out(4, wpkh, 1e6, false, fpMobile, true), out(5, pkh, 987_654, true, fpMobile, true)}}, -1},
		{"change back to the input's address", with(func(tx *Tx) { tx.Outs[0].Addr = 1 }), 0},
	}
	for _, tt := range never {
		for name, f := range byName {
			tx := tt.tx
			if got := f(&tx); got != tt.want {
				t.Errorf("%s on %s = %d, want %d", name, tt.name, got, tt.want)
			}
		}
		tx := tt.tx
		if got := Change(&tx, AllHeuristics); got != tt.want {
			t.Errorf("all on %s = %d, want %d", tt.name, got, tt.want)
		}
	}
}

func TestChangeCombined(t *testing.T) {
	// type names output 1, fresh output 0; round names output 1.
	tx := Tx{FP: fpCore, Ins: in1(wpkh, 3_000_000), Outs: []Out{
		{Addr: 2, Class: pkh, Value: 2_000_000},
		{Addr: 3, Class: wpkh, Value: 987_654, Seen: true},
	}}
	tests := []struct {
		sets string
		want int
	}{
		{"", -1},
		{"type", 1},
		{"fresh", 0},
		{"type,fresh", -1},       // they disagree
		{"type,round", 1},        // they agree
		{"type,vote", -1},        // one vote is not enough
		{"type,round,vote", 1},   // two are
		{"all", -1},              // fresh disagrees
		{"type,fingerprint", -1}, // outputs unspent: not decided
	}
	for _, tt := range tests {
		h, err := ParseHeuristics(tt.sets)
		if err != nil {
			t.Fatal(err)
		}
		if got := Change(&tx, h); got != tt.want {
			t.Errorf("Change(%q) = %d, want %d", tt.sets, got, tt.want)
		}
	}
}

func TestParseHeuristics(t *testing.T) {
	tests := []struct {
		in, want string
		wantErr  string
	}{
		{in: "", want: "none"},
		{in: "none", want: "none"},
		{in: "fresh", want: "fresh"},
		{in: " Fresh , TYPE", want: "type,fresh"},
		{in: "type,round,optimal,fresh,fingerprint,peel", want: "all"},
		{in: "consensus", want: "all,vote"},
		{in: "careful", want: "fresh,fingerprint"},
		{in: "broad,vote", want: "type,fresh,fingerprint,vote"},
		{in: "fresh,bogus", wantErr: `unknown heuristic "bogus"`},
		{in: "vote", wantErr: "no heuristic to vote"},
		{in: "sweep", want: "sweep"},
		{in: "sweep,careful", want: "fresh,fingerprint,sweep"},
		{in: "custodial", want: "fresh,fingerprint,sweep"},
		{in: "all,sweep,vote", want: "all,sweep,vote"},
		{in: "sweep,vote", wantErr: "no heuristic to vote"},
		{in: strings.Repeat("type,", 60), wantErr: "list of 300 characters"},
	}
	for _, tt := range tests {
		h, err := ParseHeuristics(tt.in)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("ParseHeuristics(%q) error %v, want %q", tt.in, err, tt.wantErr)
			}
			continue
		}
		if err != nil {
			t.Fatalf("ParseHeuristics(%q): %v", tt.in, err)
		}
		if h.String() != tt.want {
			t.Errorf("ParseHeuristics(%q) = %s, want %s", tt.in, h, tt.want)
		}
		// String parses back to the same set.
		if back, err := ParseHeuristics(h.String()); err != nil || back != h {
			t.Errorf("%s parses back to %s, %v", h, back, err)
		}
	}
}

func TestOverlay(t *testing.T) {
	// Addresses 0..5; the seed has {0,1} (multi-input) and the rest alone.
	ov := &Overlay{Heuristics: ByFresh, Limit: 2}
	for range 6 {
		ov.Forest.Add()
	}
	ov.Forest.SetParent(1, 0)
	ov.Forest.SetSize(0, 2)

	pay := Tx{Ins: []In{{Addr: 1, Value: 5e6}}, Outs: []Out{
		{Addr: 2, Value: 1e6, Seen: true}, {Addr: 3, Value: 3_876_543}}}
	if c := ov.Decide(0, &pay); c != 1 {
		t.Fatalf("Decide = %d, want 1", c)
	}
	if ov.Root(3) != ov.Root(0) || ov.Size(ov.Root(0)) != 3 || ov.Root(2) == ov.Root(0) {
		t.Errorf("after the change merge: roots %d %d %d, size %d", ov.Root(0), ov.Root(2), ov.Root(3), ov.Size(ov.Root(0)))
	}
	// {4,5} by multi-input, then a change merge between two clusters
	// above the limit of 2 is refused and recorded.
	ov.MultiInput(1, &Tx{Ins: []In{{Addr: 4, Value: 1}, {Addr: 5, Value: 1}}, Outs: []Out{{Addr: 2, Value: 1}}})
	ov.MultiInput(2, &Tx{Ins: []In{{Addr: 4, Value: 1}, {Addr: 2, Value: 1}}, Outs: []Out{{Addr: 5, Value: 1}}})
	if ov.Root(4) != ov.Root(2) || ov.Size(ov.Root(2)) != 3 {
		t.Fatalf("multi-input: roots %d %d", ov.Root(4), ov.Root(2))
	}
	bad := Tx{Ins: []In{{Addr: 0, Value: 5e6}}, Outs: []Out{{Addr: 4, Value: 1e6}, {Addr: 3, Value: 3e6, Seen: true}}}
	if c := ov.Decide(3, &bad); c != 0 {
		t.Fatalf("Decide = %d, want 0", c)
	}
	if ov.Root(4) == ov.Root(0) || ov.Refused != 1 || len(ov.Refusals) != 1 {
		t.Fatalf("the guard let two clusters of 3 merge: refused %d %+v", ov.Refused, ov.Refusals)
	}
	r := ov.Refusals[0]
	if r.Tx != 3 || r.Reason != ReasonSize || r.SizeA != 3 || r.SizeB != 3 {
		t.Errorf("refusal %+v, want tx 3, sizes 3 and 3, reason size", r)
	}
	if ov.Changes != 2 || ov.Merges != 1 {
		t.Errorf("changes %d merges %d, want 2 and 1", ov.Changes, ov.Merges)
	}
}

// sweepOverlay is an overlay over n addresses, each its own cluster.
func sweepOverlay(n int, k int) *Overlay {
	ov := &Overlay{Heuristics: BySweep, SweepMin: k}
	for range n {
		ov.Forest.Add()
	}
	return ov
}

// sweepTx spends the given addresses whole into one output at x, an
// address seen before.
func sweepTx(fp Fingerprint, x uint32, from ...uint32) *Tx {
	tx := &Tx{FP: fp, Outs: []Out{{Addr: x, Class: wpkh, Value: 9e6, Seen: true}}}
	for _, a := range from {
		tx.Ins = append(tx.Ins, In{Addr: a, Class: wpkh, Value: 1e6})
	}
	return tx
}

func TestSweep(t *testing.T) {
	const hot = 0 // the collector; sources are 1 and up
	t.Run("collector", func(t *testing.T) {
		// Three deposit sweeps (two inputs each, linked by multi-input)
		// from distinct clusters make address 0 a collector at K=3; the
		// fourth sweep merges, and takes the first three with it.
		ov := sweepOverlay(10, 3)
		for i, src := range [][]uint32{{1, 2}, {3, 4}, {5, 6}} {
			tx := sweepTx(fpCore, hot, src...)
			ov.MultiInput(uint32(i), tx)
			if ov.Sweep(uint32(i), tx) {
				t.Fatalf("sweep %d merged before address %d had received K=3", i, hot)
			}
		}
		if ov.Size(ov.Root(hot)) != 1 {
			t.Fatalf("collector's cluster has %d addresses before it qualified", ov.Size(ov.Root(hot)))
		}
		tx := sweepTx(fpCore, hot, 7)
		if !ov.Sweep(3, tx) {
			t.Fatal("the fourth sweep into a collector did not merge")
		}
		if got := ov.Size(ov.Root(hot)); got != 8 {
			t.Errorf("collector's cluster has %d addresses, want 8 (itself and 1-7)", got)
		}
		if ov.Sweeps != 4 || ov.Collectors != 1 || ov.Merges != 4 {
			t.Errorf("sweeps %d collectors %d merges %d, want 4, 1, 4", ov.Sweeps, ov.Collectors, ov.Merges)
		}
		// Later sweeps merge on arrival; one of another fingerprint, or
		// with an output more, does not.
		if !ov.Sweep(4, sweepTx(fpCore, hot, 8)) || ov.Root(8) != ov.Root(hot) {
			t.Error("a sweep into a known collector did not merge")
		}
		if ov.Sweep(5, sweepTx(fpMobile, hot, 9)) || ov.Root(9) == ov.Root(hot) {
			t.Error("a sweep of another wallet program merged into the collector")
		}
		two := sweepTx(fpCore, hot, 9)
		two.Outs = append(two.Outs, Out{Addr: 2, Value: 5e5, Seen: true})
		if ov.Sweep(6, two) || ov.Root(9) == ov.Root(hot) {
			t.Error("a payment of two outputs merged as a sweep")
		}
	})

	// Where it must not fire.
	tests := []struct {
		name string
		k    int
		txs  []*Tx
	}{
		{"a person empties an address into a friend's reused address once", 3,
			[]*Tx{sweepTx(fpMobile, hot, 1)}},
		{"a collector below K", 3, []*Tx{
			sweepTx(fpCore, hot, 1), sweepTx(fpCore, hot, 2), sweepTx(fpCore, hot, 3)}},
		{"one person's linked addresses emptied again and again", 2, []*Tx{
			sweepTx(fpMobile, hot, 1, 2), sweepTx(fpMobile, hot, 2, 3), sweepTx(fpMobile, hot, 3, 4), sweepTx(fpMobile, hot, 1)}},
		{"donors of several wallet programs", 2, []*Tx{
			sweepTx(fpCore, hot, 1), sweepTx(fpMobile, hot, 2), sweepTx(fpCore, hot, 3), sweepTx(fpMobile, hot, 4), sweepTx(fpCore, hot, 5)}},
		// Each below follows two sweeps that make address 0 a collector
		// at K=2: it would merge but for what it shows.
		{"a fresh address", 2, []*Tx{
			sweepTx(fpCore, hot, 1), sweepTx(fpCore, hot, 2),
			func() *Tx { tx := sweepTx(fpCore, hot, 3); tx.Outs[0].Seen = false; return tx }()}},
		{"an input without an address", 2, []*Tx{
			sweepTx(fpCore, hot, 1), sweepTx(fpCore, hot, 2), sweepTx(fpCore, hot, 3, NoAddress)}},
		{"value to an OP_RETURN", 2, []*Tx{
			sweepTx(fpCore, hot, 1), sweepTx(fpCore, hot, 2),
			func() *Tx {
				tx := sweepTx(fpCore, hot, 3)
				tx.Outs = append(tx.Outs, Out{Addr: NoAddress, Value: 1})
				return tx
			}()}},
		{"an address the forest does not hold", 2, []*Tx{
			sweepTx(fpCore, hot, 1), sweepTx(fpCore, hot, 2), sweepTx(fpCore, hot, 99), sweepTx(fpCore, 99, 3)}},
		{"the collector paying itself", 2, []*Tx{sweepTx(fpCore, hot, 1), sweepTx(fpCore, hot, 2), sweepTx(fpCore, hot, hot, 3)}},
		{"a coinbase", 2, []*Tx{sweepTx(fpCore, hot, 1), sweepTx(fpCore, hot, 2), func() *Tx { tx := sweepTx(fpCore, hot); tx.Coinbase = true; return tx }()}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ov := sweepOverlay(10, tt.k)
			for i, tx := range tt.txs {
				ov.MultiInput(uint32(i), tx)
				if ov.Sweep(uint32(i), tx) {
					t.Fatalf("transaction %d merged", i)
				}
			}
			if ov.Sweeps != 0 || ov.Collectors != 0 {
				t.Errorf("%d sweeps merged into %d collectors", ov.Sweeps, ov.Collectors)
			}
			if tt.name != "the collector paying itself" && ov.Size(ov.Root(hot)) != 1 {
				t.Errorf("collector's cluster of %d addresses", ov.Size(ov.Root(hot)))
			}
		})
	}

	t.Run("off unless chosen", func(t *testing.T) {
		ov := sweepOverlay(10, 1)
		ov.Heuristics = Careful
		for i := range uint32(4) {
			if ov.Sweep(i, sweepTx(fpCore, hot, i+1)) {
				t.Fatal("sweep merged without BySweep")
			}
		}
	})

	t.Run("guard", func(t *testing.T) {
		// A collector's cluster and a source both above the limit do
		// not merge; the refusal is recorded with its reason.
		ov := sweepOverlay(10, 1)
		ov.Limit = 1
		ov.MultiInput(0, &Tx{Ins: []In{{Addr: hot, Value: 1}, {Addr: 9, Value: 1}}, Outs: []Out{{Addr: hot, Value: 1}}})
		ov.Sweep(1, sweepTx(fpCore, hot, 1))
		tx := sweepTx(fpCore, hot, 2, 3)
		ov.MultiInput(2, tx)
		if !ov.Sweep(2, tx) {
			t.Fatal("sweep into a collector not judged")
		}
		if ov.Root(2) == ov.Root(hot) || ov.Refused == 0 || ov.Refusals[len(ov.Refusals)-1].Reason != ReasonSize {
			t.Errorf("the guard let two clusters above 1 merge: refused %d %+v", ov.Refused, ov.Refusals)
		}
	})
}
