package sim

import (
	"fmt"
	"math"
	"strings"
)

const (
	coinbaseMaturity = 100
	btc              = 100_000_000
	wasabiDenom      = 10_000_000 // 0.1 BTC, Wasabi 1.x's base denomination
	whirlDenom       = 5_000_000  // Whirlpool's 0.05 BTC pool
	whirlMinerFee    = 30_000     // per premix output, pays the mix's fee
	maxQueue         = 400        // pending withdrawals per service (the mixer: profile.mixerQueue)
	maxPremix        = 200
)

// economy is the set of actors. Its size is fixed at setup, which with
// each wallet's UTXO limit bounds memory whatever the run's length.
type economy struct {
	// Wallets point at these copies of the program templates.
	progs                                              [len(programs)]program
	exProg, exFresh, svcProg, opProg, cjProg, poolProg program
	events                                             []event
	upgradeRate                                        float64 // chance per step that someone changes wallet

	founder     *wallet
	individuals []*individual
	exchanges   []*custodian
	market      *custodian
	services    []*custodian // market, mixer, exchanges
	mixer       *custodian
	pools       []*pool
	poolWeight  int

	wasabi, whirl *entity // nil in a profile without coordinators
	wasabiFees    *wallet
	whirlFees     *wallet
	premixOut     *wallet // TX0 outputs land here before joining premix
	premix        []premixCoin
	postmixOut    *wallet      // mix outputs that will remix land here first
	postmix       []premixCoin // post-mix outputs waiting to remix

	operators     []*operator
	incidents     []*incident
	incidentCount int
}

type individual struct {
	ent     *entity
	wallets []*wallet
}

// custodian is a service holding customers' coins: an exchange, the
// darknet market or the custodial mixer. Customers pay to fresh deposit
// addresses; the service sweeps them into its hot wallet and pays out
// from there.
type custodian struct {
	ent      *entity
	hot      *wallet
	hotAddr  address
	cold     *wallet // exchanges only
	deposits *wallet
	depType  scriptType
	queue    []withdrawal
	payout   Behaviour // behaviour of its payouts
	maxBatch int
	maxQueue int // pending withdrawals it takes
}

type withdrawal struct {
	to        *wallet
	addr      address
	value     int64
	tag       uint32
	notBefore int32 // height, for the mixer's and the market's delays
}

type pool struct {
	ent      *entity
	marker   string
	weight   int
	payout   address
	immature *wallet // coinbase outputs, oldest first
	matures  []int32 // height at which immature.utxos[i] may be spent
	hot      *wallet
}

// premixCoin is a coin in the Whirlpool pool: a premix output waiting for
// its first mix, or a post-mix output waiting to remix left more times.
type premixCoin struct {
	u     utxo
	owner *wallet
	left  int
}

var (
	exchangeNames = []string{"Alderex", "Brightcoin", "Cobalt Exchange", "Dunmore Markets", "Eastgate", "Fjordbit", "Glenport", "Hollowtrade"}
	poolNames     = []string{"Granite Pool", "Harbor Pool", "Quarry Pool", "Tundra Pool", "Vireo Pool"}
	poolWeights   = []int{30, 25, 20, 15, 10}
	operatorNames = []string{"LockHydra", "CryptBane", "NullVault"}
	poolProgram   = program{name: "pool", reuseChange: true, version: 1, feeMin: 5, feeMax: 30}
	exchangeFresh = program{name: "exchange-fresh-change", version: 2, feeMin: 5, feeMax: 40}
)

func slug(s string) string { return strings.ToLower(strings.ReplaceAll(s, " ", "-")) }

func (g *gen) tagPack(name, category string) (*tagWriter, error) {
	file := slug(name)
	if category == "exchange" {
		file = "exchange-" + file // as GraphSense names its exchange packs
	}
	tw, err := createTagPack(g.tagDir, file+".yaml", tagHeader{
		title: name + " (synthetic)", category: category, label: strings.ToLower(name),
		actor: slug(name), source: "entente sim generate, seed " + fmt.Sprint(g.cfg.Seed), lastmod: g.cfg.Start.Format("2006-01-02"),
	})
	if err == nil {
		g.tags = append(g.tags, tw)
	}
	return tw, err
}

func (g *gen) setup() error {
	e := &g.economy
	e.progs, e.exProg, e.exFresh, e.svcProg = programs, exchangeProgram, exchangeFresh, serviceProgram
	e.opProg, e.cjProg, e.poolProg = operatorProgram, coinjoinProgram, poolProgram
	g.prof.applyPrograms(e)
	e.events = g.prof.events()
	e.upgradeRate = min(0.05, 4*float64(g.cfg.Individuals)/float64(g.cfg.Txs))
	for i, name := range poolNames {
		tw, err := g.tagPack(name, "miner")
		if err != nil {
			return err
		}
		p := &pool{ent: g.newEntity(MiningPool, name, tw), marker: "/" + strings.Fields(name)[0] + "/", weight: poolWeights[i]}
		typ := p2pkh
		if i >= 2 {
			typ = g.scriptType(p2wpkh)
		}
		p.payout = g.newAddress(p.ent, typ)
		g.tag(p.ent, p.payout)
		p.immature = &wallet{owner: p.ent, prog: &g.poolProg, typ: typ, max: 4 * coinbaseMaturity}
		p.hot = &wallet{owner: p.ent, prog: &g.poolProg, typ: typ, max: 400}
		e.pools = append(e.pools, p)
		e.poolWeight += p.weight
	}
	founder := g.newEntity(Founder, "founder", nil)
	e.founder = &wallet{owner: founder, prog: &g.progs[0], typ: p2pkh, max: 1}
	g.target = 1
	if err := g.seal([]output{{addr: g.newAddress(founder, p2pkh), value: subsidy, to: e.founder}}); err != nil {
		return err
	}

	var premine []output
	for i, name := range exchangeNames {
		tw, err := g.tagPack(name, "exchange")
		if err != nil {
			return err
		}
		c := g.newCustodian(g.newEntity(Exchange, name, tw), g.scriptType([]scriptType{p2pkh, p2shP2wpkh, p2wpkh}[i%3]), BatchWithdrawal, 150)
		if i%2 == 1 {
			c.hot.prog, c.deposits.prog = &g.exFresh, &g.exFresh
		}
		c.cold = &wallet{owner: c.ent, prog: &g.exProg, typ: g.scriptType(p2shMulti), max: 64}
		cold := g.newAddress(c.ent, p2shMulti)
		g.tag(c.ent, cold)
		premine = append(premine, output{addr: cold, value: 100_000 * btc, to: c.cold}, output{addr: c.hotAddr, value: 2_000 * btc, to: c.hot})
		e.exchanges = append(e.exchanges, c)
	}
	tw, err := g.tagPack("Nightjar Market", "market")
	if err != nil {
		return err
	}
	e.market = g.newCustodian(g.newEntity(Market, "Nightjar Market", tw), g.scriptType(p2wpkh), BatchWithdrawal, 60)
	if tw, err = g.tagPack("Murkwater Mixer", "mixing_service"); err != nil {
		return err
	}
	e.mixer = g.newCustodian(g.newEntity(MixerService, "Murkwater Mixer", tw), g.scriptType(p2wpkh), Mixer, 2)
	e.mixer.maxQueue = g.prof.mixerQueue
	premine = append(premine, output{addr: e.market.hotAddr, value: 500 * btc, to: e.market.hot},
		output{addr: e.mixer.hotAddr, value: 1_000 * btc, to: e.mixer.hot})

	e.services = append([]*custodian{e.market, e.mixer}, e.exchanges...)
	if g.prof.coordinators {
		if err := g.setupCoordinators(); err != nil {
			return err
		}
	}

	for i, name := range operatorNames {
		op := &operator{ent: g.newEntity(Ransomware, name, nil)}
		for k := range 2 + i%3 {
			op.exchanges = append(op.exchanges, e.exchanges[(i*3+k)%len(e.exchanges)])
		}
		e.operators = append(e.operators, op)
	}
	for i := range g.cfg.Individuals {
		ind := &individual{ent: g.newEntity(Individual, fmt.Sprintf("person-%d", i+1), nil)}
		for range 1 + g.rng.IntN(3) {
			ind.wallets = append(ind.wallets, g.newWallet(ind.ent))
		}
		e.individuals = append(e.individuals, ind)
	}
	return g.seal(premine)
}

// setupCoordinators makes the two CoinJoin coordinators and tags one
// fee address of each, as their fee addresses are public knowledge.
func (g *gen) setupCoordinators() error {
	e := &g.economy
	tw, err := g.tagPack("Wasabi-like Coordinator", "coinjoin")
	if err != nil {
		return err
	}
	e.wasabi = g.newEntity(Coordinator, "Wasabi-like Coordinator", tw)
	e.wasabiFees = &wallet{owner: e.wasabi, prog: &g.cjProg, typ: p2wpkh, max: 64, reuse: true}
	if tw, err = g.tagPack("Whirlpool-like Coordinator", "coinjoin"); err != nil {
		return err
	}
	e.whirl = g.newEntity(Coordinator, "Whirlpool-like Coordinator", tw)
	e.whirlFees = &wallet{owner: e.whirl, prog: &g.cjProg, typ: p2wpkh, max: 64, reuse: true}
	e.premixOut = &wallet{owner: e.whirl, prog: &g.cjProg, typ: p2wpkh, max: 8}
	e.postmixOut = &wallet{owner: e.whirl, prog: &g.cjProg, typ: p2wpkh, max: 8}
	for _, w := range []*wallet{e.wasabiFees, e.whirlFees} {
		g.tag(w.owner, g.receive(w))
	}
	return nil
}

func (g *gen) newCustodian(ent *entity, typ scriptType, payout Behaviour, maxBatch int) *custodian {
	c := &custodian{ent: ent, depType: typ, payout: payout, maxBatch: maxBatch, maxQueue: maxQueue}
	c.hot = &wallet{owner: ent, prog: &g.exProg, typ: typ, max: 2000}
	c.deposits = &wallet{owner: ent, prog: &g.exProg, typ: typ, max: 1000}
	if ent.kind != Exchange {
		c.hot.prog, c.deposits.prog = &g.svcProg, &g.svcProg
	}
	c.hotAddr = g.newAddress(ent, typ)
	g.tag(ent, c.hotAddr)
	return c
}

// newWallet gives e a wallet from a program popular at this point of the
// run, of the script type that program made then (the profile's
// walletChoice).
func (g *gen) newWallet(e *entity) *wallet {
	p := g.progress()
	var weights [len(programs)]float64
	for k := range weights {
		weights[k] = g.prof.wallets[k].weight(p)
	}
	var sum float64
	for _, w := range weights {
		sum += w
	}
	r := g.rng.Float64() * sum
	i := 0
	for ; i < len(weights)-1 && r >= weights[i]; i++ {
		r -= weights[i]
	}
	c := &g.prof.wallets[i]
	typ, staged := c.final, false
	for _, st := range c.stages {
		if p < st.until {
			typ, staged = st.typ, true
			break
		}
	}
	if !staged && c.taprootOneIn > 0 && p > c.taprootFrom && g.rng.IntN(c.taprootOneIn) == 0 {
		typ = p2tr
	}
	reuse := g.rng.IntN(10) < g.prof.reuse
	if g.progs[i].name == "mobile" {
		reuse = g.rng.IntN(10) < g.prof.reuseMobile
	}
	return &wallet{owner: e, prog: &g.progs[i], typ: g.scriptType(typ), reuse: reuse, max: 32}
}

func (g *gen) pickPool() *pool {
	r := g.rng.IntN(g.poolWeight)
	for _, p := range g.pools {
		if r < p.weight {
			return p
		}
		r -= p.weight
	}
	return g.pools[0]
}

// afterBlock moves matured coinbase outputs to the pools' spendable wallets.
func (g *gen) afterBlock() {
	for _, p := range g.pools {
		for len(p.matures) > 0 && p.matures[0] <= g.height && len(p.immature.utxos) > 0 {
			p.hot.add(p.immature.utxos[0])
			p.immature.utxos = p.immature.utxos[1:]
			p.matures = p.matures[1:]
		}
	}
}

// amount draws a payment amount: log-normal around median, rounded for
// programs whose users type round amounts.
func (g *gen) amount(median float64, sigma float64, round bool) int64 {
	v := median * math.Exp(g.rng.NormFloat64()*sigma)
	if round {
		// Keep one significant digit in BTC terms: 0.003, 0.02, 0.5.
		scale := math.Pow(10, math.Floor(math.Log10(v)))
		v = math.Round(v/scale) * scale
	}
	return int64(v)
}

func (g *gen) randomIndividual() *individual {
	return g.individuals[g.rng.IntN(len(g.individuals))]
}

// fundedWallet picks one of ind's wallets that holds coins, or nil.
func (g *gen) fundedWallet(ind *individual) *wallet {
	start := g.rng.IntN(len(ind.wallets))
	for k := range ind.wallets {
		w := ind.wallets[(start+k)%len(ind.wallets)]
		if len(w.utxos) > 0 {
			return w
		}
	}
	return nil
}

func (g *gen) randomWallet(ind *individual) *wallet {
	return ind.wallets[g.rng.IntN(len(ind.wallets))]
}

// deposit makes a fresh deposit address at c; a few are tagged, as
// investigators learn some of a service's deposit addresses.
func (g *gen) deposit(c *custodian) address {
	a := g.newAddress(c.ent, c.depType)
	if g.rng.IntN(20) == 0 {
		g.tag(c.ent, a)
	}
	return a
}
