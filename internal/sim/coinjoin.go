package sim

import "github.com/btcsuite/btcd/wire"

// wasabiRound: a Wasabi 1.x-like CoinJoin. Ten to fifty people each put in
// one to three inputs and get one 0.1 BTC output at a fresh address (of
// the profile's wasabiOut type) and their change; the coordinator takes
// 0.3% per participant.
func (g *gen) wasabiRound() bool {
	const coordFee = wasabiDenom * 3 / 1000
	if g.wasabi == nil {
		return false
	}
	outType := g.prof.wasabiOut
	rate := g.feeRate(&g.cjProg)
	want := 10 + g.rng.IntN(41)
	var (
		ins   []utxo
		outs  []output
		taken []*wallet
		spent [][]utxo
	)
	seen := map[*individual]bool{} // membership only; never iterated
	for try := 0; try < 4*want && len(taken) < want; try++ {
		ind := g.randomIndividual()
		if seen[ind] {
			continue
		}
		seen[ind] = true
		w := g.fundedWallet(ind)
		if w == nil || w.balance() < wasabiDenom+coordFee+100_000 {
			continue
		}
		idx := g.selectCoins(w, wasabiDenom+coordFee, rate, []scriptType{p2wpkh}, 3)
		if idx == nil {
			continue
		}
		mine := w.take(idx)
		var sum int64
		for _, u := range mine {
			sum += u.value
			ins = append(ins, u)
		}
		minerFee := (68*int64(len(mine)) + 2*31) * rate
		outs = append(outs, output{addr: g.newAddress(w.owner, outType), value: wasabiDenom, to: w})
		if change := sum - wasabiDenom - coordFee - minerFee; change >= dust {
			outs = append(outs, output{addr: g.newAddress(w.owner, outType), value: change, to: w})
		}
		taken, spent = append(taken, w), append(spent, mine)
	}
	restore := func() {
		for i, w := range taken {
			w.utxos = append(w.utxos, spent[i]...)
		}
	}
	if len(taken) < 10 {
		restore()
		return false
	}
	outs = append(outs, output{addr: g.receive(g.wasabiFees), value: coordFee * int64(len(taken)), to: g.wasabiFees})
	g.shuffleUTXOs(ins)
	g.shuffleOutputs(outs)
	p := &plan{prog: &g.cjProg, feeRate: rate, ins: ins, outs: outs, behaviour: CoinJoin, actor: g.wasabi}
	if _, ok := g.build(p); !ok {
		restore()
		return false
	}
	return true
}

// whirlpoolTx0: a person splits coins into one to five premix outputs of
// the pool denomination plus a miner fee budget, paying the coordinator's
// 5% pool fee (Samourai Whirlpool's TX0).
func (g *gen) whirlpoolTx0() bool {
	if g.whirl == nil || len(g.premix) >= maxPremix {
		return false
	}
	w := g.fundedWallet(g.randomIndividual())
	if w == nil {
		return false
	}
	n := 1 + g.rng.IntN(5)
	if w.balance() < int64(n)*(whirlDenom+whirlMinerFee)+whirlDenom/20+200_000 {
		return false
	}
	outs := []output{{addr: g.receive(g.whirlFees), value: whirlDenom / 20, to: g.whirlFees}}
	for range n {
		outs = append(outs, output{addr: g.newAddress(w.owner, p2wpkh), value: whirlDenom + whirlMinerFee, to: g.premixOut})
	}
	if _, ok := g.pay(w, outs, WhirlpoolTx0); !ok {
		return false
	}
	for _, u := range g.premixOut.utxos {
		g.premix = append(g.premix, premixCoin{u: u, owner: w})
	}
	g.premixOut.utxos = g.premixOut.utxos[:0]
	return true
}

// whirlpoolMix: five coins of five different wallets become five equal
// outputs at fresh addresses of the same wallets. Up to the profile's
// remix.perMix of the coins are post-mix outputs remixing for free; the
// others are premix outputs, whose extra over the denomination pays the
// mix's miner fee. A mix with a remixer is a "coinjoin-remix" in the truth.
//
// With remixing on, a premix coin's output stays in the pool (in no
// wallet) with chance remix.chance, for one to remix.maxRemixes more
// mixes; a remixer's output stays for its remaining ones. Other outputs
// go to their owner's wallet to be spent.
func (g *gen) whirlpoolMix() bool {
	var pick, re []int // indexes into premix and postmix
	taken := func(w *wallet) bool {
		for _, j := range re {
			if g.postmix[j].owner == w {
				return true
			}
		}
		for _, j := range pick {
			if g.premix[j].owner == w {
				return true
			}
		}
		return false
	}
	for i := range g.postmix {
		if len(re) == g.prof.remix.perMix {
			break
		}
		if !taken(g.postmix[i].owner) {
			re = append(re, i)
		}
	}
	for i := range g.premix {
		if len(pick)+len(re) == 5 {
			break
		}
		if !taken(g.premix[i].owner) {
			pick = append(pick, i)
		}
	}
	if len(pick)+len(re) < 5 || len(pick) == 0 {
		return false
	}
	coins := make([]premixCoin, 0, 5)
	for _, i := range pick {
		c := g.premix[i]
		c.left = 0
		if g.prof.remix.chance > 0 && g.rng.Float64() < g.prof.remix.chance {
			c.left = 1 + g.rng.IntN(g.prof.remix.maxRemixes)
		}
		coins = append(coins, c)
	}
	for _, i := range re {
		c := g.postmix[i]
		c.left--
		coins = append(coins, c)
	}
	var ins []utxo
	var outs []output
	room := maxPremix - len(g.postmix) + len(re)
	for k := range coins {
		c := &coins[k]
		ins = append(ins, c.u)
		to := c.owner
		if c.left > 0 && room > 0 {
			to, room = g.postmixOut, room-1
		}
		outs = append(outs, output{addr: g.newAddress(c.owner.owner, p2wpkh), value: whirlDenom, to: to})
	}
	g.shuffleUTXOs(ins)
	// One shuffle moves outputs and their coins together.
	g.rng.Shuffle(len(outs), func(i, j int) {
		outs[i], outs[j] = outs[j], outs[i]
		coins[i], coins[j] = coins[j], coins[i]
	})
	b := CoinJoin
	if len(re) > 0 {
		b = CoinJoinRemix
	}
	p := &plan{prog: &g.cjProg, ins: ins, outs: outs, behaviour: b, actor: g.whirl}
	built, ok := g.build(p)
	if !ok {
		return false
	}
	g.premix = dropIndexes(g.premix, pick)
	g.postmix = dropIndexes(g.postmix, re)
	for i, o := range outs {
		if o.to == g.postmixOut {
			u := utxo{op: wire.OutPoint{Hash: built.id, Index: built.vout[i]}, value: o.value, addr: o.addr}
			g.postmix = append(g.postmix, premixCoin{u: u, owner: coins[i].owner, left: coins[i].left})
		}
	}
	g.postmixOut.utxos = g.postmixOut.utxos[:0]
	return true
}

// dropIndexes removes the coins at idx from s, keeping the others' order.
func dropIndexes(s []premixCoin, idx []int) []premixCoin {
	keep := s[:0]
	for i := range s {
		if !contains(idx, i) {
			keep = append(keep, s[i])
		}
	}
	return keep
}

func (g *gen) shuffleUTXOs(s []utxo) {
	g.rng.Shuffle(len(s), func(i, j int) { s[i], s[j] = s[j], s[i] })
}

func (g *gen) shuffleOutputs(s []output) {
	g.rng.Shuffle(len(s), func(i, j int) { s[i], s[j] = s[j], s[i] })
}
