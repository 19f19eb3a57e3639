package sim

// wasabiRound: a Wasabi 1.x-like CoinJoin. Ten to fifty people each put in
// one to three inputs and get one 0.1 BTC output at a fresh P2WPKH address
// and their change; the coordinator takes 0.3% per participant.
func (g *gen) wasabiRound() bool {
	const coordFee = wasabiDenom * 3 / 1000
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
		outs = append(outs, output{addr: g.newAddress(w.owner, p2wpkh), value: wasabiDenom, to: w})
		if change := sum - wasabiDenom - coordFee - minerFee; change >= dust {
			outs = append(outs, output{addr: g.newAddress(w.owner, p2wpkh), value: change, to: w})
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
	if len(g.premix) >= maxPremix {
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

// whirlpoolMix: five premix outputs of five different wallets become five
// equal outputs at fresh addresses of the same wallets.
func (g *gen) whirlpoolMix() bool {
	var pick []int
	for i := range g.premix {
		dup := false
		for _, j := range pick {
			dup = dup || g.premix[j].owner == g.premix[i].owner
		}
		if !dup {
			pick = append(pick, i)
		}
		if len(pick) == 5 {
			break
		}
	}
	if len(pick) < 5 {
		return false
	}
	var ins []utxo
	var outs []output
	for _, i := range pick {
		c := g.premix[i]
		ins = append(ins, c.u)
		outs = append(outs, output{addr: g.newAddress(c.owner.owner, p2wpkh), value: whirlDenom, to: c.owner})
	}
	g.shuffleUTXOs(ins)
	g.shuffleOutputs(outs)
	p := &plan{prog: &g.cjProg, ins: ins, outs: outs, behaviour: CoinJoin, actor: g.whirl}
	if _, ok := g.build(p); !ok {
		return false
	}
	keep := g.premix[:0]
	for i := range g.premix {
		if !contains(pick, i) {
			keep = append(keep, g.premix[i])
		}
	}
	g.premix = keep
	return true
}

func (g *gen) shuffleUTXOs(s []utxo) {
	g.rng.Shuffle(len(s), func(i, j int) { s[i], s[j] = s[j], s[i] })
}

func (g *gen) shuffleOutputs(s []output) {
	g.rng.Shuffle(len(s), func(i, j int) { s[i], s[j] = s[j], s[i] })
}
