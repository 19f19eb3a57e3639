package trace

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
)

// De-mixing: a custodial mixer pays its customers out of its own pool, so
// no transaction links a deposit to its payouts and a trace stops there.
// Investigators bridge the gap by amount and timing: a deposit of V at
// time T is matched with the mixer's payouts after T that add up to V less
// a plausible fee, provided no other set of payouts fits as well. The hop
// is an inference, not a transaction link, and the result says so.

// MixerCategory is the label category at which a trace with
// [Options.Demix] tries to de-mix instead of stopping.
const MixerCategory = "mixer"

// Flow is one output paid into a mixer (a deposit) or out of it (a
// payout).
type Flow struct {
	Tx     uint32 // the paying transaction
	Vout   uint32 // the output's index in it
	Output Output
	Time   int64 // the paying transaction's block time, Unix seconds
}

// MixerLister is a [Graph] that can list what a mixer took in and paid
// out; internal/chainindex implements it. De-mixing needs it: a trace
// with [Options.Demix] over a Graph without it stops at mixers as
// before. The mixer is a set of clusters, given by their roots.
type MixerLister interface {
	// Payouts appends to buf, in chain order, the outputs paid to
	// addresses outside the mixer by transactions spending an output of
	// it, made later in chain order than transaction after and in blocks
	// whose time is at most until. It stops after limit outputs, more
	// true if there were others.
	Payouts(roots []uint32, after uint32, until int64, limit int, buf []Flow) (out []Flow, more bool, err error)
	// Deposits appends to buf, in chain order, the outputs paid to the
	// mixer by transactions spending none of its outputs, in blocks
	// whose time is in [from, until]; limit and more as for Payouts.
	// Deposit addresses are rarely all tagged: an implementation should
	// also count those it can tell are the mixer's, such as addresses
	// swept into it, or rival deposits go unseen.
	Deposits(roots []uint32, from, until int64, limit int, buf []Flow) (out []Flow, more bool, err error)
}

// EntityLister is a [Labeler] that can list the addresses it attributes
// to an entity. De-mixing uses it to find every wallet of a mixer (its
// deposit clusters and its hot wallet are rarely one cluster); without
// it only the cluster of the address the trace reached is the mixer.
type EntityLister interface {
	EntityAddresses(l Label) []uint32
}

// EntityAddresses implements [EntityLister], in address id order.
func (l Labels) EntityAddresses(x Label) []uint32 {
	var ids []uint32
	for id, y := range l {
		if y == x {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	return ids
}

// DemixOptions bound how a deposit into a mixer is matched to its
// payouts. The defaults are what an analyst can defend for a custodial
// mixer in general, not fitted to one mixer.
type DemixOptions struct {
	// MinFee and MaxFee bound the mixer's fee as a fraction of the
	// deposit: the payouts must add up to between V*(1-MaxFee) and
	// V*(1-MinFee). Optional; if both are zero, 0.005 and 0.05 (the fees
	// custodial mixers have advertised). 0 <= MinFee <= MaxFee < 1.
	MinFee, MaxFee float64
	// Window is how long after the deposit payouts are looked for.
	// Optional; default 48 hours, at most 30 days.
	Window time.Duration
	// FirstWindow is the first of the widening windows, doubling up to
	// Window, in which fitting sets are looked for: the first window
	// where any set fits decides. Optional; default 1 hour; Window or
	// more looks at the whole window at once.
	FirstWindow time.Duration
	// MaxCandidates is the most payouts examined per deposit; a deposit
	// with more in its window is not matched, since uniqueness could not
	// be claimed. Optional; default 20,000, at most 1,000,000.
	MaxCandidates int
	// MaxParts is the most payouts of an even split considered (see
	// [DemixHop.Match]). Optional; default 4, at most 16.
	MaxParts int
	// Singles also matches a deposit with one payout output, or with all
	// the payouts of one transaction, when no even split fits. Optional;
	// default off: in a busy mixer such sets fit by chance, and a mixer's
	// change to a fresh address looks like a payout, has no deposit of
	// its own to contest it, and fits large deposits (on the synthetic
	// economy every single match was wrong).
	Singles bool
	// MaxRoots is the most clusters taken as the mixer's. Optional;
	// default 100,000.
	MaxRoots int
}

const (
	maxWindow     = 30 * 24 * time.Hour
	maxCandidates = 1_000_000
	maxParts      = 16
	maxRoots      = 1_000_000
)

func (d *DemixOptions) fill() error {
	if d.MinFee == 0 && d.MaxFee == 0 {
		d.MinFee, d.MaxFee = 0.005, 0.05
	}
	if !(d.MinFee >= 0 && d.MinFee <= d.MaxFee && d.MaxFee < 1) {
		return fmt.Errorf("%w: mixer fee bounds %g..%g: want 0 <= min <= max < 1", ErrBadOptions, d.MinFee, d.MaxFee)
	}
	if d.Window == 0 {
		d.Window = 48 * time.Hour
	}
	if d.Window < time.Second || d.Window > maxWindow {
		return fmt.Errorf("%w: de-mix window %v not in [1s, %v]", ErrBadOptions, d.Window, maxWindow)
	}
	if d.FirstWindow == 0 {
		d.FirstWindow = time.Hour
	}
	if d.FirstWindow < time.Second {
		return fmt.Errorf("%w: first de-mix window %v is under a second", ErrBadOptions, d.FirstWindow)
	}
	def := func(v *int, def, hi int, name string) error {
		if *v == 0 {
			*v = def
		}
		if *v < 1 || *v > hi {
			return fmt.Errorf("%w: %s %d not in [1, %d]", ErrBadOptions, name, *v, hi)
		}
		return nil
	}
	return cmp.Or(
		def(&d.MaxCandidates, 20_000, maxCandidates, "de-mix candidate limit"),
		def(&d.MaxParts, 4, maxParts, "de-mix split parts"),
		def(&d.MaxRoots, 100_000, maxRoots, "mixer cluster limit"))
}

// Outcomes of a de-mix attempt, in [DemixHop.Outcome].
const (
	DemixMatched   = "matched"       // one set of payouts fits: followed
	DemixAmbiguous = "ambiguous"     // two or more fit: not followed
	DemixContested = "contested"     // every set that fit fits a deposit as near to it as well: not followed
	DemixNoMatch   = "no-match"      // none fits
	DemixTooMany   = "too-many"      // more payouts in the window than MaxCandidates
	DemixNoPayouts = "not-supported" // the Graph cannot list a mixer's flows
)

// Kinds of match, in [DemixHop.Match], from the most to the least
// specific.
const (
	MatchSplit  = "even-split" // 2 to MaxParts payouts of one value (to the satoshi, but the remainder of the division)
	MatchSingle = "single"     // one payout output, or all of one transaction's payouts
)

// DemixHop is one attempt to carry taint through a mixer: the deposit
// the trace reached and, when matched, the payouts it continued from.
// Matched payouts are an inference from amount and timing: no
// transaction links them to the deposit.
type DemixHop struct {
	Mixer   string `json:"mixer"`
	Deposit Hop    `json:"deposit"`
	// DepositValue is the deposit output's whole value; Deposit.Value is
	// its taint.
	DepositValue int64  `json:"deposit_value"`
	DepositTime  int64  `json:"deposit_time"`
	Outcome      string `json:"outcome"`
	Match        string `json:"match,omitempty"`
	// Window is the widening window that decided, in seconds after the
	// deposit; Candidates how many payouts it held; Fits how many sets of
	// them fit the deposit in the kind of match that decided (1 when
	// matched, 0 for no-match).
	Window     int64 `json:"window"`
	Candidates int   `json:"candidates"`
	Fits       int   `json:"fits"`
	// Rivals is how many other deposits into the mixer fitted the sets
	// set aside: a set that fits is this deposit's only if no other
	// deposit made in the window before its first payout fits it too.
	Rivals int `json:"rivals"`
	// PaidOut is the matched payouts' sum, Fee the share of the deposit
	// it lacks; delays are from the deposit's block to the first and the
	// last payout's, in seconds.
	PaidOut    int64   `json:"paid_out,omitempty"`
	Fee        float64 `json:"fee,omitempty"`
	FirstDelay int64   `json:"first_delay,omitempty"`
	LastDelay  int64   `json:"last_delay,omitempty"`
	Payouts    []Hop   `json:"payouts,omitempty"` // with the taint each carried on
}

// demixRec is a de-mix attempt while tracing.
type demixRec struct {
	deposit    uint32 // output id
	label      Label
	time       int64
	outcome    string
	match      string
	window     int64
	candidates int
	fits       int
	rivals     int
	payouts    []Flow
}

// match finds the payouts among cands that a deposit of value v fits:
// an even split of 2 to parts payouts if any fits, else, with singles, a
// single payout output or a single transaction's payouts together. It
// returns the
// indexes of the one set that fits in the deciding kind, that kind, and
// how many sets fit in it (0 none, 2 two or more).
//
// Splits are tried first because they are far less likely to fit by
// chance: in a busy mixer several unrelated single payouts fall within
// a fee range of a deposit, but outputs of exactly one value adding up
// to it are rare. A general subset sum is not tried: it is exponential,
// and with hundreds of candidates some subset fits any deposit. Work is
// O(n log n) in the candidates.
func match(v int64, cands []Flow, minFee, maxFee float64, parts int, singles bool) (set []int, kind string, fits int) {
	in := func(s int64) bool { return fitsFee(v, s, minFee, maxFee) }

	// Even splits: sort by value; k outputs of one value, but for up to
	// k-1 satoshis of remainder, lie next to each other.
	if parts >= 2 {
		idx := make([]int, len(cands))
		for i := range idx {
			idx[i] = i
		}
		slices.SortFunc(idx, func(a, b int) int {
			return cmp.Or(cmp.Compare(cands[a].Output.Value, cands[b].Output.Value), a-b)
		})
		for k := 2; k <= parts && fits < 2; k++ {
			for i := 0; i+k <= len(idx) && fits < 2; i++ {
				// Sets are counted by their smallest output: each i
				// starts different ones.
				base := cands[idx[i]].Output.Value
				j := i
				var sum int64
				for j < len(idx) && cands[idx[j]].Output.Value <= base+int64(k-1) {
					j++
				}
				if j-i < k {
					continue
				}
				for _, x := range idx[i : i+k] {
					sum += cands[x].Output.Value
				}
				if !in(sum) {
					continue
				}
				if j-i > k {
					fits = 2 // more near-equal outputs than parts: several sets
					continue
				}
				fits++
				set = slices.Clone(idx[i : i+k])
			}
		}
		if fits > 0 {
			if fits > 1 {
				set = nil
			}
			return set, MatchSplit, fits
		}
	}

	if !singles {
		return nil, "", 0
	}
	// Single outputs, then each transaction's payouts together (a
	// transaction of one payout is the same set as the output).
	for i, c := range cands {
		if in(c.Output.Value) {
			if fits++; fits > 1 {
				return nil, MatchSingle, 2
			}
			set = []int{i}
		}
	}
	for i := 0; i < len(cands); {
		j := i
		var sum int64
		for j < len(cands) && cands[j].Tx == cands[i].Tx {
			sum += cands[j].Output.Value
			j++
		}
		if j-i > 1 && in(sum) {
			if fits++; fits > 1 {
				return nil, MatchSingle, 2
			}
			set = make([]int, 0, j-i)
			for x := i; x < j; x++ {
				set = append(set, x)
			}
		}
		i = j
	}
	if fits == 0 {
		return nil, "", 0
	}
	return set, MatchSingle, fits
}

// fitsFee reports whether payouts of paid fit a deposit of v less a fee
// within the bounds.
func fitsFee(v, paid int64, minFee, maxFee float64) bool {
	lo := v - int64(math.Floor(float64(v)*maxFee))
	hi := v - int64(math.Ceil(float64(v)*minFee))
	return paid >= lo && paid <= hi && paid > 0
}

// rivals counts the deposits other than deposit that the payouts set
// (non-empty) would fit as well, among deps: made before the first of
// them, within since of it. Matching both ways is what tells a deposit's
// own payouts from another customer's that happen to fit: those have a
// deposit of their own, nearer to them.
func rivals(deposit uint32, set []Flow, deps []Flow, since int64, minFee, maxFee float64) int {
	var paid int64
	first := set[0]
	for _, p := range set {
		paid += p.Output.Value
		if p.Tx < first.Tx {
			first = p
		}
	}
	n := 0
	for _, d := range deps {
		if d.Output.ID != deposit && d.Tx < first.Tx && d.Time >= first.Time-since && fitsFee(d.Output.Value, paid, minFee, maxFee) {
			n++
		}
	}
	return n
}

// rivalsOf counts the deposits into the mixer of roots, other than
// deposit, that payouts (sorted, non-empty) fit as well, made in the
// window before the first payout.
func (t *tracer) rivalsOf(pl MixerLister, roots []uint32, deposit uint32, payouts []Flow) (int, bool, error) {
	d := t.o.DemixOptions
	window := int64(d.Window / time.Second)
	first := payouts[0]
	for _, p := range payouts {
		if p.Tx < first.Tx {
			first = p
		}
	}
	// The whole window back: a mixer's delays vary, so the deposit
	// nearest to the payouts is not theirs more than an earlier one (on
	// the synthetic economy, taking the nearest made most matches wrong).
	since := window
	deps, more, err := pl.Deposits(roots, first.Time-since, first.Time, d.MaxCandidates, t.deposits[:0])
	t.deposits = deps
	if err != nil || more {
		return 0, more, err
	}
	return rivals(deposit, payouts, deps, since, d.MinFee, d.MaxFee), false, nil
}

// mixerRoots returns the roots of the clusters taken as mixer l's: the
// cluster of address a and of every address the labels give l.
func (t *tracer) mixerRoots(l Label, a uint32) ([]uint32, error) {
	if t.roots == nil {
		t.roots = map[Label][]uint32{}
	}
	roots, ok := t.roots[l]
	if !ok {
		seen := map[uint32]bool{}
		add := func(x uint32) error {
			r, err := t.g.ClusterRoot(x)
			if err != nil {
				return err
			}
			if !seen[r] && len(roots) < t.o.DemixOptions.MaxRoots {
				seen[r] = true
				roots = append(roots, r)
			}
			return nil
		}
		if el, ok := t.o.Labels.(EntityLister); ok {
			for _, x := range el.EntityAddresses(l) {
				if err := add(x); err != nil {
					return nil, err
				}
			}
		}
		slices.Sort(roots)
		t.roots[l] = roots
	}
	r, err := t.g.ClusterRoot(a)
	if err != nil {
		return nil, err
	}
	if _, found := slices.BinarySearch(roots, r); !found {
		roots = append(slices.Clone(roots), r)
		slices.Sort(roots)
	}
	return roots, nil
}

// demix tries to carry n, which reached mixer l, on through the mixer's
// payouts. It records the attempt and reports whether it matched; if
// so n ends as EndDemix and the payouts are new tainted outputs.
func (t *tracer) demix(n *node, l Label) (bool, error) {
	pl, ok := t.g.(MixerLister)
	if !ok {
		t.demixes = append(t.demixes, demixRec{deposit: n.out.ID, label: l, outcome: DemixNoPayouts})
		return false, nil
	}
	d := t.o.DemixOptions
	info, err := t.g.TxInfo(n.creator)
	if err != nil {
		return false, err
	}
	rec := demixRec{deposit: n.out.ID, label: l, time: info.Time}
	roots, err := t.mixerRoots(l, n.out.Address)
	if err != nil {
		return false, err
	}
	window := int64(d.Window / time.Second)
	// Widening windows: the first in which any set fits decides, so a
	// set paid soon after the deposit is not refused for a chance fit
	// days later. Each window's payouts are listed on from the last
	// one's, so a match found early reads little of the chain.
	cands, after := t.payouts[:0], n.creator
	for w := min(int64(d.FirstWindow/time.Second), window); ; w = min(2*w, window) {
		until := info.Time + w
		listed, more, err := pl.Payouts(roots, after, until, d.MaxCandidates+1-len(cands), t.listed[:0])
		t.listed = listed
		if err != nil {
			return false, err
		}
		// Only payouts after the deposit, in time as in chain order, and
		// not already carrying taint of this trace (matched to another
		// deposit, or reached on-chain).
		for _, c := range listed {
			if c.Tx > n.creator && c.Time >= info.Time && c.Time <= until && t.nodes[c.Output.ID] == nil {
				cands = append(cands, c)
			}
			after = max(after, c.Tx)
		}
		t.payouts = cands
		rec.candidates, rec.window = len(cands), w
		if more || len(cands) > d.MaxCandidates {
			rec.outcome = DemixTooMany
			t.demixes = append(t.demixes, rec)
			return false, nil
		}
		// A set that fits but that another deposit in the window before
		// it fits too is no more this deposit's than that one's: set
		// aside, and the search goes on.
		for {
			open := t.open[:0]
			for _, c := range cands {
				if !t.contested[c.Output.ID] {
					open = append(open, c)
				}
			}
			t.open = open
			set, kind, fits := match(n.out.Value, open, d.MinFee, d.MaxFee, d.MaxParts, d.Singles)
			if fits > 0 || rec.rivals == 0 { // a contested set's kind stays
				rec.match, rec.fits = kind, fits
			}
			if fits != 1 {
				if fits > 1 {
					rec.outcome = DemixAmbiguous
				}
				break
			}
			var payouts []Flow
			for _, i := range set {
				payouts = append(payouts, open[i])
			}
			slices.SortFunc(payouts, func(a, b Flow) int { return cmp.Compare(a.Output.ID, b.Output.ID) })
			nr, more, err := t.rivalsOf(pl, roots, n.out.ID, payouts)
			if err != nil {
				return false, err
			}
			if more {
				rec.outcome = DemixTooMany
				break
			}
			if nr == 0 {
				rec.outcome, rec.payouts = DemixMatched, payouts
				break
			}
			rec.rivals += nr
			for _, p := range payouts {
				t.contested[p.Output.ID] = true
			}
		}
		if rec.outcome != "" || w == window {
			break
		}
	}
	clear(t.contested)
	if rec.outcome == "" {
		rec.outcome = DemixNoMatch
		if rec.rivals > 0 {
			rec.outcome = DemixContested
		}
	}
	t.demixes = append(t.demixes, rec)
	if rec.outcome != DemixMatched {
		return false, nil
	}
	n.end, n.demix = EndDemix, int32(len(t.demixes)-1)

	// The payouts carry the deposit's tainted share of what they pay, as
	// a transaction passes taint on, fee excluded; poison taints them in
	// full.
	via := int32(len(t.txs))
	t.txs = append(t.txs, txRec{id: rec.payouts[0].Tx, from: []uint32{n.out.ID}, demix: n.demix + 1})
	for k, p := range rec.payouts {
		taint := p.Output.Value
		if t.o.Policy != Poison {
			taint = min(mulDiv(n.taint, p.Output.Value, n.out.Value), p.Output.Value)
		}
		if taint <= 0 {
			continue
		}
		c := &node{out: p.Output, vout: p.Vout, taint: taint, spans: []span{{0, taint}}, depth: n.depth + 1,
			creator: p.Tx, via: via, inferred: true}
		t.nodes[p.Output.ID] = c
		if k >= t.o.MaxFanout {
			c.end = EndFanout
			continue
		}
		if err := t.visit(c, false); err != nil {
			return false, err
		}
	}
	return true, nil
}

// demixHop reports attempt d.
func (b *builder) demixHop(d demixRec) (DemixHop, error) {
	t := b.t
	n := t.nodes[d.deposit]
	dep, err := b.hop(n)
	if err != nil {
		return DemixHop{}, err
	}
	h := DemixHop{Mixer: d.label.Entity, Deposit: dep, DepositValue: n.out.Value, DepositTime: d.time,
		Outcome: d.outcome, Match: d.match, Window: d.window, Candidates: d.candidates, Fits: d.fits, Rivals: d.rivals}
	for k, p := range d.payouts {
		h.PaidOut += p.Output.Value
		delay := p.Time - d.time
		if k == 0 || delay < h.FirstDelay {
			h.FirstDelay = delay
		}
		h.LastDelay = max(h.LastDelay, delay)
		if c := t.nodes[p.Output.ID]; c != nil {
			ph, err := b.hop(c)
			if err != nil {
				return DemixHop{}, err
			}
			h.Payouts = append(h.Payouts, ph)
		}
	}
	if len(d.payouts) > 0 && n.out.Value > 0 {
		h.Fee = math.Round(float64(n.out.Value-h.PaidOut)/float64(n.out.Value)*1e6) / 1e6
	}
	return h, nil
}

// demixNode is the drawing's node for matched attempt d: the inferred
// link from a deposit to its payouts.
func (b *builder) demixNode(d int32) (string, error) {
	rec := b.t.demixes[d]
	x, err := b.info(b.t.nodes[rec.deposit].creator)
	if err != nil {
		return "", err
	}
	id := "demix:" + x.TxID + ":" + strconv.FormatUint(uint64(b.t.nodes[rec.deposit].vout), 10)
	b.nodes[id] = DrawNode{ID: id, Kind: "demix", Label: rec.label.Entity, Category: rec.label.Category}
	return id, nil
}

// isMixer reports whether a label's category is a mixer's.
func isMixer(l Label) bool { return strings.EqualFold(l.Category, MixerCategory) }
