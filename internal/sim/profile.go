package sim

import (
	"fmt"
	"strings"
)

// A profile is one economy: the generator's parameters, each chosen from
// what is documented about real usage. Profiles differ in data only; the
// actors and their transactions are the same code, so a heuristic scored
// on two profiles is scored on the same kinds of transaction in other
// proportions.
type profile struct {
	name string
	// events is the mix of what actors do, in parts per ~1,000 steps.
	events func() []event
	// wallets says, for each of programs, how popular it is and which
	// script type its new wallets use as the run progresses.
	wallets [len(programs)]walletChoice
	// reuse is how many in ten new wallets hand out their last receive
	// address again (three times in four); reuseMobile overrides it for
	// the "mobile" program, drawn a second time.
	reuse, reuseMobile int
	// legacyTx makes every program write version 1 transactions with
	// final sequences and nLockTime 0: before BIP 68 and BIP 125 (both
	// 2016) and Bitcoin Core 0.11's anti-fee-sniping locktime (2015).
	legacyTx bool
	// freshChange stops individuals' programs sending change back to the
	// first input's address.
	freshChange bool
	// p2pkhOnly makes every address P2PKH, services and ransomware
	// operators included: the chain before P2SH (BIP 16, April 2012) was
	// in wide use.
	p2pkhOnly bool
	// coordinators creates the Wasabi-like and Whirlpool-like coordinators;
	// without them no CoinJoin can happen.
	coordinators bool
	// wasabiOut is the script type of a Wasabi-like round's outputs.
	wasabiOut scriptType
	// maxIncidents bounds the ransom incidents under way at once.
	maxIncidents int
	// mixerQueue bounds the custodial mixer's pending payouts. As each
	// waits 2 to 31 blocks, it also bounds the mixer's throughput, at
	// about mixerQueue/16 customers' payouts a block.
	mixerQueue int
	// remix, when remix.chance > 0, keeps Whirlpool post-mix outputs in
	// the pool for free remixes before they reach their owner's wallet.
	remix remixParams
}

// remixParams describe Whirlpool remixing. Samourai's coordinator built
// every 5-in-5-out mix from 2 premix inputs (new entrants, who pay the
// mix's miner fee) and 3 remixers (post-mix outputs that mix again for
// free), and clients left their post-mix coins in the pool to remix until
// spent ("Introducing Whirlpool Surge Cycles", blog.samourai.is, 2023).
type remixParams struct {
	chance     float64 // of a fresh post-mix output staying in the pool
	maxRemixes int     // it then remixes 1 to maxRemixes times
	perMix     int     // remixers per mix, at most 4: one input must pay the fee
}

// walletChoice is one wallet program's popularity and script types over
// the run. Its weight at progress p (0 to 1, the years since 2012) is
// max(0, a+b*p)*scale + plus; the "realistic" numbers are written so that
// the arithmetic, and so the bytes of a run, stay what they were when they
// were literals in (*gen).newWallet.
type walletChoice struct {
	a, b, scale, plus float64
	// stages: new wallets take the type of the first stage whose until
	// is above p, else final; past taprootFrom, one in taprootOneIn takes
	// P2TR instead of final.
	stages       []typeStage
	final        scriptType
	taprootFrom  float64
	taprootOneIn int
}

type typeStage struct {
	until float64
	typ   scriptType
}

func (c *walletChoice) weight(p float64) float64 { return max(0, c.a+c.b*p)*c.scale + c.plus }

// profiles are those --profile accepts, in the order help lists them.
var profiles = []*profile{
	{
		// Today's economy, with history: the run's progress moves wallets
		// from P2PKH through nested and native SegWit to Taproot. Its bytes
		// for a seed are pinned by testdata/golden.
		name:    "realistic",
		events:  realisticEvents,
		wallets: realisticWallets,
		reuse:   1, reuseMobile: 6,
		coordinators: true, wasabiOut: p2wpkh, maxIncidents: 16, mixerQueue: maxQueue,
	},
	{
		// 2011-2013: Bitcoin-Qt, Electrum 1.x and a web wallet that, like
		// Blockchain.info's, sent change back to the paying address; cold
		// storage is P2PKH paper. Over 75% of outputs went to previously
		// used addresses in 2013, against about 50% since (BitMEX Research,
		// "Bitcoin Address Re-use Statistics", 2021); here nine wallets in
		// ten reuse, which gives about 0.58 (realistic: 0.24, as deposit
		// addresses stay fresh). No CoinJoin coordinator existed yet, but
		// custodial mixers (Bitcoin Fog, 2011) and Silk Road did.
		name:   "early",
		events: earlyEvents,
		wallets: [len(programs)]walletChoice{
			{a: 3, scale: 1, final: p2pkh}, // Bitcoin-Qt
			{final: p2pkh},
			{a: 1, scale: 1, final: p2pkh}, // Electrum 1.x
			{a: 6, scale: 1, final: p2pkh}, // web and phone wallets
			{final: p2pkh},
		},
		reuse: 9, reuseMobile: 10,
		legacyTx: true, p2pkhOnly: true, maxIncidents: 4, mixerQueue: maxQueue,
	},
	{
		// Privacy-minded users today: Sparrow, Samourai-like phone wallets
		// and Core with Taproot receive addresses and no reuse; frequent
		// Wasabi-like rounds (Wasabi 2 may register Taproot outputs) and
		// Whirlpool mixes whose post-mix coins remix several times; the
		// custodial mixer too. Whirlpool's outputs stay P2WPKH, as the
		// protocol required.
		name:   "privacy",
		events: privacyEvents,
		wallets: [len(programs)]walletChoice{
			{final: p2tr},
			{a: 3, scale: 1, final: p2tr},
			{a: 1, scale: 1, final: p2tr},
			{a: 2, scale: 1, final: p2tr}, // Samourai-like
			{a: 4, scale: 1, final: p2tr},
		},
		freshChange: true, coordinators: true, wasabiOut: p2tr, maxIncidents: 16, mixerQueue: 5 * maxQueue,
		remix: remixParams{chance: 0.7, maxRemixes: 6, perMix: 3},
	},
	{
		// The realistic economy with ransomware incidents about fifteen
		// times as often and more of them under way at once, for demos and
		// tracing studies that want many peel chains per run.
		name:    "ransomware",
		events:  ransomwareEvents,
		wallets: realisticWallets,
		reuse:   1, reuseMobile: 6,
		coordinators: true, wasabiOut: p2wpkh, maxIncidents: 128, mixerQueue: maxQueue,
	},
}

// realisticWallets: legacy P2PKH wallets first, then nested and native
// SegWit, Taproot in the last part of the run.
var realisticWallets = [len(programs)]walletChoice{
	{a: 1, b: -2, scale: 3, final: p2pkh}, // core-legacy
	{a: 0, b: 3, scale: 1, stages: []typeStage{{0.45, p2shP2wpkh}}, final: p2wpkh, taprootFrom: 0.8, taprootOneIn: 3}, // core
	{a: 0, b: 2, scale: 1, stages: []typeStage{{0.3, p2pkh}}, final: p2wpkh},                                          // electrum
	{a: 1, b: -1, scale: 2, plus: 0.3, stages: []typeStage{{0.4, p2pkh}, {0.7, p2shP2wpkh}}, final: p2wpkh},           // mobile
	{a: -0.6, b: 1, scale: 5, final: p2tr},                                                                            // sparrow
}

// Profiles lists the names Config.Profile accepts.
func Profiles() []string {
	names := make([]string, len(profiles))
	for i, p := range profiles {
		names[i] = p.name
	}
	return names
}

func lookupProfile(name string) (*profile, error) {
	for _, p := range profiles {
		if p.name == name {
			return p, nil
		}
	}
	names := Profiles()
	return nil, fmt.Errorf("%w: unknown profile %q (want %s or %s)", ErrConfig, name,
		strings.Join(names[:len(names)-1], ", "), names[len(names)-1])
}

// applyPrograms adjusts the run's copies of the program templates.
func (p *profile) applyPrograms(e *economy) {
	if p.legacyTx {
		for _, prog := range e.allPrograms() {
			prog.version, prog.rbf, prog.lockHeight = 1, false, false
		}
	}
	if p.freshChange {
		for i := range e.progs {
			e.progs[i].reuseChange = false
		}
	}
}

func (e *economy) allPrograms() []*program {
	all := []*program{&e.exProg, &e.exFresh, &e.svcProg, &e.opProg, &e.cjProg, &e.poolProg}
	for i := range e.progs {
		all = append(all, &e.progs[i])
	}
	return all
}

// scriptType returns t, or P2PKH in a profile that has nothing else.
func (g *gen) scriptType(t scriptType) scriptType {
	if g.prof.p2pkhOnly {
		return p2pkh
	}
	return t
}
