package sim

// An event is one thing an actor does; most make one transaction, some
// (a purchase at an exchange, starting an incident) only queue work.
type event struct {
	weight int
	do     func(*gen) bool
}

// realisticEvents is the "realistic" profile's mix, in parts per ~1,000.
func realisticEvents() []event {
	return []event{
		{400, (*gen).payment},
		{120, (*gen).buy},
		{90, (*gen).sell},
		{25, (*gen).marketBuy},
		{8, (*gen).useMixer},
		{60, (*gen).sweepDeposits},
		{50, (*gen).withdraw},
		{10, (*gen).coldStorage},
		{20, (*gen).consolidate},
		{3, (*gen).wasabiRound},
		{8, (*gen).whirlpoolTx0},
		{12, (*gen).whirlpoolMix},
		{10, (*gen).poolPayout},
		{2, (*gen).startIncident},
		{40, (*gen).advanceIncident},
	}
}

// earlyEvents is the "early" profile's mix: no CoinJoins, more market
// trade (Silk Road's years), ransomware not yet a business (CryptoLocker,
// the first to ask for bitcoin at scale, appeared in late 2013).
func earlyEvents() []event {
	return []event{
		{420, (*gen).payment},
		{120, (*gen).buy},
		{90, (*gen).sell},
		{45, (*gen).marketBuy},
		{8, (*gen).useMixer},
		{60, (*gen).sweepDeposits},
		{50, (*gen).withdraw},
		{10, (*gen).coldStorage},
		{30, (*gen).consolidate},
		{10, (*gen).poolPayout},
		{1, (*gen).startIncident},
		{40, (*gen).advanceIncident},
	}
}

// privacyEvents is the "privacy" profile's mix: Wasabi-like rounds five
// times and Whirlpool TX0s and mixes about ten times as often as in the
// realistic mix (mixes most of all, as each premix coin is followed by
// free remixes), and five times the custodial mixer's deposits, with
// payouts to match.
func privacyEvents() []event {
	return []event{
		{320, (*gen).payment},
		{120, (*gen).buy},
		{80, (*gen).sell},
		{25, (*gen).marketBuy},
		{40, (*gen).useMixer},
		{40, (*gen).mixerWithdraw},
		{60, (*gen).sweepDeposits},
		{50, (*gen).withdraw},
		{10, (*gen).coldStorage},
		{15, (*gen).consolidate},
		{15, (*gen).wasabiRound},
		{60, (*gen).whirlpoolTx0},
		{150, (*gen).whirlpoolMix},
		{10, (*gen).poolPayout},
		{2, (*gen).startIncident},
		{40, (*gen).advanceIncident},
	}
}

// ransomwareEvents is the realistic mix with fifteen times the incidents,
// and steps enough to move each along its peel chain.
func ransomwareEvents() []event {
	return []event{
		{400, (*gen).payment},
		{120, (*gen).buy},
		{90, (*gen).sell},
		{25, (*gen).marketBuy},
		{8, (*gen).useMixer},
		{60, (*gen).sweepDeposits},
		{50, (*gen).withdraw},
		{10, (*gen).coldStorage},
		{20, (*gen).consolidate},
		{3, (*gen).wasabiRound},
		{8, (*gen).whirlpoolTx0},
		{12, (*gen).whirlpoolMix},
		{10, (*gen).poolPayout},
		{30, (*gen).startIncident},
		{300, (*gen).advanceIncident},
	}
}

// step runs one event. Services that have let work pile up act first, so
// that their queues and deposit sets stay bounded.
func (g *gen) step() {
	for _, c := range g.services {
		if len(c.deposits.utxos) >= c.deposits.max/2 && g.sweepAt(c) {
			return
		}
		if len(c.queue) >= c.maxQueue && g.withdrawAt(c) {
			return
		}
	}
	// Upgrades are spread over the run so that each wallet is replaced a
	// few times whatever its length: that is what moves address types on.
	if g.rng.Float64() < g.upgradeRate {
		g.upgradeWallet()
		return
	}
	total := 0
	for _, e := range g.events {
		total += e.weight
	}
	r := g.rng.IntN(total)
	for _, e := range g.events {
		if r < e.weight {
			e.do(g)
			return
		}
		r -= e.weight
	}
}

func (g *gen) randomCustodian() *custodian {
	n := len(g.exchanges) + 2
	switch i := g.rng.IntN(n); i {
	case n - 1:
		return g.market
	case n - 2:
		return g.mixer
	default:
		return g.exchanges[i]
	}
}

func (g *gen) randomExchange() *custodian { return g.exchanges[g.rng.IntN(len(g.exchanges))] }

// payment: one person pays one or two others.
func (g *gen) payment() bool {
	from := g.randomIndividual()
	w := g.fundedWallet(from)
	if w == nil {
		return false
	}
	if len(w.utxos) > 24 {
		return g.consolidateWallet(w)
	}
	n := 1
	if g.rng.IntN(10) == 0 {
		n = 2
	}
	bal := w.balance()
	var outs []output
	for range n {
		to := g.randomIndividual()
		if to == from {
			return false
		}
		rw := g.randomWallet(to)
		v := g.amount(500_000, 1.6, w.prog.roundAmounts)
		if v > bal*8/10 {
			v = bal * int64(1+g.rng.IntN(7)) / 10
		}
		if v < 10_000 {
			return false
		}
		outs = append(outs, output{addr: g.receive(rw), value: v, to: rw})
	}
	_, ok := g.pay(w, outs, Payment)
	return ok
}

// buy: a person buys coins at an exchange, to be withdrawn in its next batch.
func (g *gen) buy() bool {
	c := g.randomExchange()
	if len(c.queue) >= c.maxQueue {
		return false
	}
	w := g.randomWallet(g.randomIndividual())
	v := min(g.amount(5_000_000, 1.2, false), 50*btc)
	c.queue = append(c.queue, withdrawal{to: w, addr: g.receive(w), value: v})
	return false
}

// sell: a person pays coins into an exchange deposit address, sometimes all
// of a wallet ("send max", no change).
func (g *gen) sell() bool {
	w := g.fundedWallet(g.randomIndividual())
	if w == nil {
		return false
	}
	c := g.randomExchange()
	bal := w.balance()
	if g.rng.IntN(4) == 0 && len(w.utxos) <= 60 {
		_, ok := g.sweep(w, nil, c.deposits, g.deposit(c), Payment, g.feeRate(w.prog))
		return ok
	}
	v := min(g.amount(3_000_000, 1.3, w.prog.roundAmounts), bal*9/10)
	if v < 20_000 {
		return false
	}
	_, ok := g.pay(w, []output{{addr: g.deposit(c), value: v, to: c.deposits}}, Payment)
	return ok
}

// marketBuy: a buyer pays the market's deposit address; the market pays the
// vendor (one of a few individuals) later, minus its cut.
func (g *gen) marketBuy() bool {
	w := g.fundedWallet(g.randomIndividual())
	if w == nil || len(g.market.queue) >= g.market.maxQueue {
		return false
	}
	v := min(g.amount(1_000_000, 1.0, false), w.balance()*8/10)
	if v < 50_000 {
		return false
	}
	if _, ok := g.pay(w, []output{{addr: g.deposit(g.market), value: v, to: g.market.deposits}}, Payment); !ok {
		return false
	}
	vendors := max(1, len(g.individuals)/50)
	vw := g.randomWallet(g.individuals[g.rng.IntN(vendors)])
	g.market.queue = append(g.market.queue, withdrawal{to: vw, addr: g.receive(vw), value: v * 92 / 100, notBefore: g.height + 1 + int32(g.rng.IntN(20))})
	return true
}

// useMixer: a person sends coins to the mixer and gets them back, minus
// its fee, at fresh addresses of another of their wallets after a delay.
func (g *gen) useMixer() bool {
	ind := g.randomIndividual()
	w := g.fundedWallet(ind)
	if w == nil || len(g.mixer.queue) >= g.mixer.maxQueue-3 {
		return false
	}
	v := min(g.amount(20_000_000, 1.0, false), w.balance()*9/10)
	if v < 1_000_000 {
		return false
	}
	if _, ok := g.pay(w, []output{{addr: g.deposit(g.mixer), value: v, to: g.mixer.deposits}}, Mixer); !ok {
		return false
	}
	g.mixerPayout(g.randomWallet(ind), v, 0)
	return true
}

// mixerPayout queues the mixer's return of v, less a 1-3% fee, in one to
// three parts; tag marks the parts for a ransom incident.
func (g *gen) mixerPayout(to *wallet, v int64, tag uint32) int {
	v = v * int64(97+g.rng.IntN(3)) / 100
	parts := 1 + g.rng.IntN(3)
	for k := range parts {
		part := v / int64(parts)
		if k == parts-1 {
			part = v - part*int64(parts-1)
		}
		g.mixer.queue = append(g.mixer.queue, withdrawal{to: to, addr: g.newAddress(to.owner, to.typ), value: part, tag: tag,
			notBefore: g.height + 2 + int32(g.rng.IntN(30))})
	}
	return parts
}

func (g *gen) sweepDeposits() bool { return g.sweepAt(g.randomCustodian()) }

// sweepAt moves up to 100 of c's deposit outputs into its hot wallet.
func (g *gen) sweepAt(c *custodian) bool {
	n := len(c.deposits.utxos)
	if n == 0 {
		return false
	}
	idx := make([]int, 0, min(n, 100))
	for i := 0; i < n && len(idx) < 100; i++ {
		idx = append(idx, i)
	}
	_, ok := g.sweep(c.deposits, idx, c.hot, c.hotAddr, DepositSweep, c.hot.prog.feeMin)
	return ok
}

func (g *gen) withdraw() bool { return g.withdrawAt(g.randomCustodian()) }

// mixerWithdraw pays the mixer's next customer: a busy mixer's payouts keep
// up with its deposits, where a random custodian's withdrawals would not.
func (g *gen) mixerWithdraw() bool { return g.withdrawAt(g.mixer) }

// withdrawAt pays c's ready withdrawals: exchanges and the market in
// batches, the mixer one customer at a time.
func (g *gen) withdrawAt(c *custodian) bool {
	var pick []int
	var outs []output
	batch := 1 + g.rng.IntN(c.maxBatch)
	for i := range c.queue {
		if len(pick) == batch {
			break
		}
		if q := &c.queue[i]; q.notBefore <= g.height {
			pick = append(pick, i)
			outs = append(outs, output{addr: q.addr, value: q.value, to: q.to, tag: q.tag})
		}
	}
	if len(pick) == 0 {
		return false
	}
	if _, ok := g.pay(c.hot, outs, c.payout); !ok {
		if c.cold != nil {
			return g.coldMove(c, true, hotTarget)
		}
		return false
	}
	for _, j := range pick {
		if q := &c.queue[j]; q.tag != 0 {
			g.paid(q.tag)
		}
	}
	keep := c.queue[:0]
	for i := range c.queue {
		if !contains(pick, i) {
			keep = append(keep, c.queue[i])
		}
	}
	c.queue = keep
	return true
}

// hotTarget is what an exchange keeps in its hot wallet; it moves the
// excess to cold storage and refills from there.
const hotTarget = 1_500 * btc

func (g *gen) coldStorage() bool {
	c := g.randomExchange()
	bal := c.hot.balance()
	switch {
	case bal > hotTarget*6/5:
		return g.coldMove(c, false, (bal-hotTarget)/(10*btc)*(10*btc))
	case bal < hotTarget/2:
		return g.coldMove(c, true, (hotTarget-bal)/(10*btc)*(10*btc))
	}
	return false
}

// coldMove moves v (round, as treasury moves are) between an exchange's
// cold and hot wallets.
func (g *gen) coldMove(c *custodian, toHot bool, v int64) bool {
	if v <= 0 {
		return false
	}
	if toHot {
		_, ok := g.pay(c.cold, []output{{addr: c.hotAddr, value: v, to: c.hot}}, ColdStorage)
		return ok
	}
	cold := g.newAddress(c.ent, p2shMulti)
	g.tag(c.ent, cold)
	_, ok := g.pay(c.hot, []output{{addr: cold, value: v, to: c.cold}}, ColdStorage)
	return ok
}

func (g *gen) consolidate() bool {
	w := g.fundedWallet(g.randomIndividual())
	if w == nil || len(w.utxos) < 8 {
		return false
	}
	return g.consolidateWallet(w)
}

// consolidateWallet merges up to 60 of w's outputs into one fresh address
// at the program's lowest fee rate, as users do when fees are low.
func (g *gen) consolidateWallet(w *wallet) bool {
	idx := make([]int, 0, 60)
	for i := 0; i < len(w.utxos) && i < 60; i++ {
		idx = append(idx, i)
	}
	_, ok := g.sweep(w, idx, w, g.newAddress(w.owner, w.typ), Consolidation, w.prog.feeMin)
	return ok
}

// upgradeWallet: a person moves to a newer wallet program and sweeps the
// old wallet into it, which is how address types change over the years.
func (g *gen) upgradeWallet() bool {
	ind := g.randomIndividual()
	i := g.rng.IntN(len(ind.wallets))
	old, nw := ind.wallets[i], g.newWallet(ind.ent)
	if len(old.utxos) > 60 {
		return false
	}
	ind.wallets[i] = nw
	if len(old.utxos) == 0 {
		return false
	}
	_, ok := g.sweep(old, nil, nw, g.receive(nw), Consolidation, g.feeRate(old.prog))
	if !ok {
		ind.wallets[i] = old
	}
	return ok
}

// poolPayout: a pool pays its miners from matured coinbases, and now and
// then sells to an exchange.
func (g *gen) poolPayout() bool {
	p := g.pools[g.rng.IntN(len(g.pools))]
	bal := p.hot.balance()
	if bal < btc {
		return false
	}
	budget := bal * 9 / 10
	var outs []output
	for range 10 + g.rng.IntN(90) {
		w := g.randomWallet(g.randomIndividual())
		v := g.amount(1_000_000, 1.0, false)
		if v > budget {
			break
		}
		budget -= v
		outs = append(outs, output{addr: g.receive(w), value: v, to: w})
	}
	if g.rng.IntN(3) == 0 && budget > btc {
		c := g.randomExchange()
		outs = append(outs, output{addr: g.deposit(c), value: budget / 2, to: c.deposits})
	}
	if len(outs) == 0 {
		return false
	}
	_, ok := g.pay(p.hot, outs, Mining)
	return ok
}
