package sim

// Ransomware incidents follow what tracing reports describe: the victim
// buys coins at an exchange and pays the ransom, perhaps in tranches, to
// fresh addresses; the operator consolidates, runs a peel chain whose
// peels land in deposit addresses at a few exchanges, sends part through
// the custodial mixer and cashes that out too.

const viaMixer = 1 << 31 // tag bit: the coins came back from the mixer

type operator struct {
	ent       *entity
	exchanges []*custodian // where it cashes out
}

type incidentStage uint8

const (
	awaitCoins incidentStage = iota // victim's purchase not yet withdrawn
	paying
	consolidating
	peeling
	collecting // main chain cashed out; waiting for mixer returns
)

type incident struct {
	id       uint32
	op       *operator
	victim   *individual
	vw       *wallet // the victim's wallet for this payment
	w        *wallet // the operator's coins from this incident
	amount   int64
	tranches int
	stage    incidentStage
	hops     int // peel hops left before the final cash-out
	mixed    bool
	pending  int // mixer payouts not yet received
}

func (g *gen) startIncident() bool {
	if len(g.incidents) >= g.prof.maxIncidents {
		return false
	}
	ex := g.randomExchange()
	if len(ex.queue) >= ex.maxQueue {
		return false
	}
	g.incidentCount++
	inc := &incident{
		id:       uint32(g.incidentCount),
		op:       g.operators[g.rng.IntN(len(g.operators))],
		victim:   g.randomIndividual(),
		amount:   max(5_000_000, min(g.amount(btc, 0.8, false), 30*btc)),
		tranches: 1 + g.rng.IntN(3),
		hops:     2 + g.rng.IntN(5),
	}
	inc.vw = g.newWallet(inc.victim.ent)
	inc.w = &wallet{owner: inc.op.ent, prog: &g.opProg, typ: g.scriptType(p2wpkh), max: 16}
	ex.queue = append(ex.queue, withdrawal{to: inc.vw, addr: g.receive(inc.vw), value: inc.amount*105/100 + 100_000, tag: inc.id})
	g.incidents = append(g.incidents, inc)
	return false
}

// paid is told when a tagged withdrawal reached its wallet.
func (g *gen) paid(tag uint32) {
	for _, inc := range g.incidents {
		if inc.id != tag&^viaMixer {
			continue
		}
		if tag&viaMixer != 0 {
			inc.pending--
		} else if inc.stage == awaitCoins {
			inc.stage = paying
		}
	}
}

func (g *gen) advanceIncident() bool {
	if len(g.incidents) == 0 {
		return false
	}
	i := g.rng.IntN(len(g.incidents))
	inc := g.incidents[i]
	switch inc.stage {
	case paying:
		return g.payRansom(inc)
	case consolidating:
		inc.stage = peeling
		if len(inc.w.utxos) > 1 {
			_, ok := g.sweep(inc.w, nil, inc.w, g.newAddress(inc.op.ent, p2wpkh), Consolidation, g.feeRate(inc.w.prog))
			return ok
		}
		return false
	case peeling:
		return g.peel(inc)
	case collecting:
		for k := range inc.w.utxos {
			if inc.w.utxos[k].tag&viaMixer != 0 {
				return g.cashOut(inc, k, true)
			}
		}
		if inc.pending == 0 {
			// Done. The victim's wallet stays theirs if they have room.
			if len(inc.victim.wallets) < 4 {
				inc.victim.wallets = append(inc.victim.wallets, inc.vw)
			}
			g.incidents = append(g.incidents[:i], g.incidents[i+1:]...)
		}
	}
	return false
}

func (g *gen) payRansom(inc *incident) bool {
	v := inc.amount / int64(inc.tranches)
	if inc.tranches == 1 {
		v = inc.amount
	}
	addr := g.newAddress(inc.op.ent, p2wpkh)
	b, ok := g.pay(inc.vw, []output{{addr: addr, value: v, to: inc.w, tag: inc.id}}, RansomPayment)
	if !ok {
		return false
	}
	g.truth.payment(inc, &b.id, b.vout[0], v)
	inc.amount -= v
	if inc.tranches--; inc.tranches == 0 {
		inc.stage = consolidating
	}
	return true
}

// mainCoin is the index of the incident's peel-chain output.
func (inc *incident) mainCoin() int {
	for k := range inc.w.utxos {
		if inc.w.utxos[k].tag&viaMixer == 0 {
			return k
		}
	}
	return -1
}

// peel makes one hop: part to the mixer (once) or to an exchange deposit
// address, the rest to a fresh address of the operator; or, with no hops
// left, the final cash-out.
func (g *gen) peel(inc *incident) bool {
	k := inc.mainCoin()
	if k < 0 {
		inc.stage = collecting
		return false
	}
	if inc.hops == 0 {
		if g.cashOut(inc, k, false) {
			inc.stage = collecting
			return true
		}
		return false
	}
	main := inc.w.utxos[k]
	toMixer := !inc.mixed && g.rng.IntN(5) < 3 && len(g.mixer.queue) < g.mixer.maxQueue-3
	var ex *custodian
	var out output
	if toMixer {
		out = output{addr: g.deposit(g.mixer), value: main.value * int64(20+g.rng.IntN(21)) / 100, to: g.mixer.deposits}
	} else {
		ex = inc.op.exchanges[g.rng.IntN(len(inc.op.exchanges))]
		out = output{addr: g.deposit(ex), value: main.value * int64(5+g.rng.IntN(21)) / 100, to: ex.deposits}
	}
	ins := inc.w.take([]int{k})
	p := &plan{prog: inc.w.prog, feeRate: g.feeRate(inc.w.prog), ins: ins, outs: []output{out},
		change: inc.w, changeTo: g.newAddress(inc.op.ent, p2wpkh), changeTag: inc.id, behaviour: PeelHop, actor: inc.op.ent}
	b, ok := g.build(p)
	if !ok || b.change < 0 {
		if !ok {
			inc.w.utxos = append(inc.w.utxos, ins...)
		}
		inc.hops = 0
		return ok
	}
	inc.hops--
	if toMixer {
		inc.mixed = true
		inc.pending += g.mixerPayout(inc.w, out.value, inc.id|viaMixer)
	} else {
		g.truth.cashout(inc, ex.ent, &b.id, b.vout[0], out.value, false)
	}
	return true
}

// cashOut sends the incident's coin k whole to a deposit address at one of
// the operator's exchanges.
func (g *gen) cashOut(inc *incident, k int, mixed bool) bool {
	ex := inc.op.exchanges[g.rng.IntN(len(inc.op.exchanges))]
	v := inc.w.utxos[k].value
	b, ok := g.sweep(inc.w, []int{k}, ex.deposits, g.deposit(ex), CashOut, g.feeRate(inc.w.prog))
	if !ok {
		return false
	}
	g.truth.cashout(inc, ex.ent, &b.id, uint32(b.change), v-b.fee, mixed)
	return true
}
