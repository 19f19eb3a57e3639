package trace

import (
	"context"
	"reflect"
	"slices"
	"testing"
	"time"
)

// mixGraph is a memGraph that lists a mixer's flows by scanning its
// transactions, as internal/chainindex does over the index.
type mixGraph struct{ *memGraph }

func (g mixGraph) inMixer(roots []uint32, a uint32) bool {
	r, _ := g.ClusterRoot(a)
	return slices.Contains(roots, r)
}

func (g mixGraph) flows(roots []uint32, first uint32, from, until int64, limit int, buf []Flow, payouts bool) ([]Flow, bool, error) {
	n := 0
	for tx := first; int(tx) < len(g.txs); tx++ {
		info, _ := g.TxInfo(tx)
		if info.Time < from {
			continue
		}
		if info.Time > until {
			break
		}
		spends := false
		for _, o := range g.txs[tx].ins {
			spends = spends || g.inMixer(roots, g.outs[o].addr)
		}
		for v, o := range g.txs[tx].outs {
			if pays := g.inMixer(roots, g.outs[o].addr); spends != payouts || pays == payouts {
				continue
			}
			if n == limit {
				return buf, true, nil
			}
			n++
			buf = append(buf, Flow{Tx: tx, Vout: uint32(v), Output: g.out(o), Time: info.Time})
		}
	}
	return buf, false, nil
}

func (g mixGraph) Payouts(roots []uint32, after uint32, until int64, limit int, buf []Flow) ([]Flow, bool, error) {
	return g.flows(roots, after+1, 0, until, limit, buf, true)
}

func (g mixGraph) Deposits(roots []uint32, from, until int64, limit int, buf []Flow) ([]Flow, bool, error) {
	return g.flows(roots, 0, from, until, limit, buf, false)
}

var _ MixerLister = mixGraph{}

// mixScene is a ransom of 1,010,000 sat paid on into a mixer's deposit
// address (1,000,000) and a mixer hot wallet of 5,000,000, in separate
// clusters both tagged "mx"; the scenes add payouts.
type mixScene struct {
	g       mixGraph
	start   uint32
	deposit uint32 // output
	hot     uint32 // the hot wallet's output not yet spent
}

func newMixScene(depositFirst bool) *mixScene {
	s := &mixScene{g: mixGraph{&memGraph{}}}
	g := s.g.memGraph
	s.start = g.tx(nil, 1_010_000)[0]
	if depositFirst {
		s.deposit = g.tx([]uint32{s.start}, 1_000_000)[0]
		g.label(s.deposit, "mx", "mixer")
	}
	s.hot = g.tx(nil, 5_000_000)[0]
	g.label(s.hot, "mx", "mixer")
	return s
}

// payout pays vals out of the hot wallet, the rest back to it as change,
// and returns the payout outputs.
func (s *mixScene) payout(vals ...int64) []uint32 {
	g := s.g.memGraph
	rest := g.outs[s.hot].value
	for _, v := range vals {
		rest -= v
	}
	outs := g.tx([]uint32{s.hot}, append(slices.Clone(vals), rest-1000)...)
	s.hot = outs[len(outs)-1]
	g.label(s.hot, "mx", "mixer")
	return outs[:len(outs)-1]
}

// cashOut sends each output to its own exchange deposit of entity ex.
func (s *mixScene) cashOut(outs []uint32, ex string) {
	g := s.g.memGraph
	for _, o := range outs {
		e := g.tx([]uint32{o}, g.outs[o].value-100)[0]
		g.label(e, ex, "exchange")
	}
}

func TestDemix(t *testing.T) {
	tests := []struct {
		name        string
		build       func(s *mixScene)
		opts        DemixOptions
		wantOutcome string
		wantMatch   string
		wantEx      int64 // taint reaching exchange "ex"
		wantRivals  int
	}{
		{
			name: "even split followed",
			build: func(s *mixScene) {
				s.payout(300_000) // another customer's
				s.cashOut(s.payout(490_000, 490_001), "ex")
			},
			wantOutcome: DemixMatched, wantMatch: MatchSplit, wantEx: 490_000 - 100 + 490_001 - 100,
		},
		{
			name: "three parts in three transactions",
			build: func(s *mixScene) {
				a, _, c, d := s.payout(326_000), s.payout(123_456), s.payout(326_001), s.payout(326_002)
				s.cashOut(slices.Concat(a, c, d), "ex")
			},
			wantOutcome: DemixMatched, wantMatch: MatchSplit, wantEx: 326_000 + 326_001 + 326_002 - 300,
		},
		{
			name: "two splits fit: ambiguous",
			build: func(s *mixScene) {
				s.cashOut(s.payout(490_000, 490_000), "ex")
				s.cashOut(s.payout(488_000, 488_000), "other")
			},
			wantOutcome: DemixAmbiguous, wantMatch: MatchSplit,
		},
		{
			name: "a later chance fit in a wider window does not count",
			build: func(s *mixScene) {
				s.cashOut(s.payout(490_000, 490_000), "ex")
				for range 6 {
					s.payout(1)
				}
				s.cashOut(s.payout(488_000, 488_000), "other")
			},
			opts:        DemixOptions{FirstWindow: 8 * time.Second}, // the first payouts come 2 to 6 blocks, a second each, after the deposit
			wantOutcome: DemixMatched, wantMatch: MatchSplit, wantEx: 2 * (490_000 - 100),
		},
		{
			name: "fee above the bound: no match",
			build: func(s *mixScene) {
				s.cashOut(s.payout(450_000, 450_000), "ex") // 10%
			},
			wantOutcome: DemixNoMatch,
		},
		{
			name: "fee within a wider bound",
			build: func(s *mixScene) {
				s.cashOut(s.payout(450_000, 450_000), "ex")
			},
			opts:        DemixOptions{MinFee: 0.05, MaxFee: 0.15},
			wantOutcome: DemixMatched, wantMatch: MatchSplit, wantEx: 2 * (450_000 - 100),
		},
		{
			name: "another deposit fits the payouts too: contested",
			build: func(s *mixScene) {
				g := s.g.memGraph
				other := g.tx([]uint32{g.tx(nil, 2_000_000)[0]}, 995_000, 1_004_000)[0]
				g.label(other, "mx", "mixer")
				s.cashOut(s.payout(490_000, 490_000), "ex")
			},
			wantOutcome: DemixContested, wantMatch: MatchSplit,
		},
		{
			name: "a contested set is set aside and the search goes on",
			build: func(s *mixScene) {
				g := s.g.memGraph
				other := g.tx([]uint32{g.tx(nil, 2_000_000)[0]}, 990_000, 1_009_000)[0]
				g.label(other, "mx", "mixer")
				s.cashOut(s.payout(490_000, 490_000), "other") // fits both deposits
				for range 6 {
					s.payout(1)
				}
				s.cashOut(s.payout(495_000, 495_000), "ex") // 1% of this one; too little fee for the other
			},
			opts:        DemixOptions{FirstWindow: 8 * time.Second},
			wantOutcome: DemixMatched, wantMatch: MatchSplit, wantEx: 2 * (495_000 - 100), wantRivals: 1,
		},
		{
			name: "single payouts only with Singles",
			build: func(s *mixScene) {
				s.cashOut(s.payout(980_000), "ex")
			},
			wantOutcome: DemixNoMatch,
		},
		{
			name: "single payout with Singles",
			build: func(s *mixScene) {
				s.cashOut(s.payout(980_000), "ex")
			},
			opts:        DemixOptions{Singles: true},
			wantOutcome: DemixMatched, wantMatch: MatchSingle, wantEx: 980_000 - 100,
		},
		{
			name: "payouts outside the window",
			build: func(s *mixScene) {
				s.cashOut(s.payout(490_000, 490_000), "ex")
			},
			opts:        DemixOptions{Window: time.Second}, // the memGraph's blocks are a second apart
			wantOutcome: DemixNoMatch,
		},
		{
			name: "more payouts than examined",
			build: func(s *mixScene) {
				s.payout(1, 2, 3)
				s.cashOut(s.payout(490_000, 490_000), "ex")
			},
			opts:        DemixOptions{MaxCandidates: 3},
			wantOutcome: DemixTooMany,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newMixScene(true)
			tt.build(s)
			r, err := Trace(context.Background(), s.g, []Start{{s.start}}, Options{Demix: true, DemixOptions: tt.opts, Labels: s.g.labels})
			if err != nil {
				t.Fatal(err)
			}
			if len(r.Demix) != 1 {
				t.Fatalf("%d de-mix attempts, want 1: %+v", len(r.Demix), r.Demix)
			}
			d := r.Demix[0]
			if d.Outcome != tt.wantOutcome || d.Match != tt.wantMatch || d.Mixer != "mx" || d.DepositValue != 1_000_000 {
				t.Fatalf("attempt %+v, want outcome %s, match %q", d, tt.wantOutcome, tt.wantMatch)
			}
			vals := entityValues(r)
			if vals["ex"] != tt.wantEx {
				t.Errorf("exchange got %d, want %d (entities %v)", vals["ex"], tt.wantEx, vals)
			}
			if tt.wantOutcome != DemixMatched {
				// Stopped at the mixer, as without de-mixing.
				if vals["mx"] != 1_000_000 || r.Demixed != 0 || len(d.Payouts) != 0 {
					t.Errorf("mixer got %d, demixed %d, %d payouts", vals["mx"], r.Demixed, len(d.Payouts))
				}
				return
			}
			if _, ok := vals["mx"]; ok || r.Demixed != 1_000_000 || r.Attributed != tt.wantEx {
				t.Errorf("mixer %d, demixed %d, attributed %d", vals["mx"], r.Demixed, r.Attributed)
			}
			if d.Fits != 1 || d.Rivals != tt.wantRivals || d.Fee <= 0 || d.PaidOut <= 0 || d.FirstDelay <= 0 || d.LastDelay < d.FirstDelay {
				t.Errorf("matched attempt %+v", d)
			}
			ex := r.Entities[0]
			if ex.Entity != "ex" || ex.Inferred != ex.Value {
				t.Errorf("exchange %+v: all of its value came through the mixer", ex)
			}
			for _, p := range ex.Paths {
				// start, deposit, payout (inferred), exchange deposit
				if len(p.Hops) != 4 || !reflect.DeepEqual(p.Inferred, []int{2}) {
					t.Errorf("path %+v", p)
				}
			}
			drawn := false
			for _, n := range r.Graph.Nodes {
				drawn = drawn || (n.Kind == "demix" && n.Label == "mx")
			}
			if !drawn {
				t.Errorf("no demix node in %+v", r.Graph.Nodes)
			}
		})
	}
}

// TestDemixPayoutBeforeDeposit: payouts that fit but were made before the
// deposit are not its payouts.
func TestDemixPayoutBeforeDeposit(t *testing.T) {
	s := newMixScene(false)
	s.cashOut(s.payout(490_000, 490_000), "ex")
	g := s.g.memGraph
	s.deposit = g.tx([]uint32{s.start}, 1_000_000)[0]
	g.label(s.deposit, "mx", "mixer")
	r, err := Trace(context.Background(), s.g, []Start{{s.start}}, Options{Demix: true, Labels: g.labels})
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Demix) != 1 || r.Demix[0].Outcome != DemixNoMatch || entityValues(r)["mx"] != 1_000_000 {
		t.Errorf("attempts %+v, entities %v", r.Demix, entityValues(r))
	}
}

// TestDemixOff: without Demix, or backward, or over a Graph that cannot
// list a mixer's flows, a trace stops at the mixer.
func TestDemixOff(t *testing.T) {
	s := newMixScene(true)
	s.cashOut(s.payout(490_000, 490_000), "ex")
	for _, tc := range []struct {
		name string
		g    Graph
		o    Options
		want string // the one attempt's outcome, "" for none
	}{
		{"off", s.g, Options{Labels: s.g.labels}, ""},
		{"graph without flows", s.g.memGraph, Options{Demix: true, Labels: s.g.labels}, DemixNoPayouts},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, err := Trace(context.Background(), tc.g, []Start{{s.start}}, tc.o)
			if err != nil {
				t.Fatal(err)
			}
			if vals := entityValues(r); vals["mx"] != 1_000_000 || vals["ex"] != 0 {
				t.Errorf("entities %v", vals)
			}
			if (tc.want == "" && len(r.Demix) != 0) || (tc.want != "" && (len(r.Demix) != 1 || r.Demix[0].Outcome != tc.want)) {
				t.Errorf("attempts %+v, want %q", r.Demix, tc.want)
			}
		})
	}
	// Backward from the payout, the mixer is where it came from.
	r, err := Trace(context.Background(), s.g, []Start{{s.g.txs[len(s.g.txs)-1].ins[0]}}, Options{Direction: Backward, Demix: true, Labels: s.g.labels})
	if err != nil || len(r.Demix) != 0 {
		t.Errorf("backward: %d attempts, %v", len(r.Demix), err)
	}
}

func TestDemixBadOptions(t *testing.T) {
	s := newMixScene(true)
	for _, o := range []DemixOptions{
		{MinFee: 0.1, MaxFee: 0.05},
		{MinFee: -0.1, MaxFee: 0.05},
		{MaxFee: 1},
		{Window: -1},
		{MaxParts: 17},
		{MaxCandidates: -1},
	} {
		if _, err := Trace(context.Background(), s.g, []Start{{s.start}}, Options{Demix: true, DemixOptions: o}); err == nil {
			t.Errorf("%+v accepted", o)
		}
	}
}

func TestMatch(t *testing.T) {
	flows := func(vals ...int64) []Flow {
		f := make([]Flow, len(vals))
		for i, v := range vals {
			f[i] = Flow{Tx: uint32(i), Output: Output{ID: uint32(i), Value: v}}
		}
		return f
	}
	tests := []struct {
		name     string
		cands    []Flow
		singles  bool
		wantSet  []int
		wantKind string
		wantFits int
	}{
		{"two equal", flows(5, 490, 490, 7), false, []int{1, 2}, MatchSplit, 1},
		{"remainder of the division", flows(326, 327, 326), false, []int{0, 2, 1}, MatchSplit, 1},
		{"more equal outputs than parts", flows(490, 490, 490, 10), false, nil, MatchSplit, 2},
		{"unequal pair is no split", flows(480, 500), false, nil, "", 0},
		{"single off", flows(980), false, nil, "", 0},
		{"single", flows(980, 3), true, []int{0}, MatchSingle, 1},
		{"two singles", flows(980, 970), true, nil, MatchSingle, 2},
		{"transaction total", []Flow{{Tx: 1, Output: Output{Value: 500}}, {Tx: 1, Output: Output{Value: 480}}}, true, []int{0, 1}, MatchSingle, 1},
		{"split before singles", flows(490, 490, 980), true, []int{0, 1}, MatchSplit, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			set, kind, fits := match(1000, tt.cands, 0.005, 0.05, 4, tt.singles)
			if !reflect.DeepEqual(set, tt.wantSet) || kind != tt.wantKind || fits != tt.wantFits {
				t.Errorf("got %v %q %d, want %v %q %d", set, kind, fits, tt.wantSet, tt.wantKind, tt.wantFits)
			}
		})
	}
}
