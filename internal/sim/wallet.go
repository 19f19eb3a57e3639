package sim

import (
	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/wire"
)

// program is a wallet program's fingerprint: the habits that chain
// analysis uses to tell wallets apart and to guess which output is change
// (see Erhardt's "Wallet fingerprints" and the 0xB10C notes on locktime and
// sequence fingerprints).
type program struct {
	name           string
	changeSameType bool  // change takes the payment output's type, not the wallet's (Core since 23.0)
	changeLast     bool  // change always last, else at a random position
	reuseChange    bool  // change goes back to the first input's address
	roundAmounts   bool  // users of this program pay round amounts
	lockHeight     bool  // nLockTime = tip height (anti fee sniping), else 0
	rbf            bool  // nSequence 0xfffffffd, signalling replace-by-fee
	version        int32 // transaction version
	feeMin, feeMax int64 // fee rate range, sat/vB
}

// programs individuals choose from. Their weights over the run, and the
// script types they make, are in (*gen).newWallet.
var programs = [...]program{
	{name: "core-legacy", lockHeight: true, version: 1, feeMin: 20, feeMax: 80},
	{name: "core", changeSameType: true, lockHeight: true, rbf: true, version: 2, feeMin: 2, feeMax: 40},
	{name: "electrum", lockHeight: true, rbf: true, version: 2, feeMin: 1, feeMax: 25},
	{name: "mobile", changeLast: true, reuseChange: true, roundAmounts: true, version: 1, feeMin: 30, feeMax: 120},
	{name: "sparrow", lockHeight: true, rbf: true, version: 2, feeMin: 1, feeMax: 15},
}

// Service programs: exchanges batch with change first, reused hot address;
// the operator's tooling looks like a plain Electrum wallet.
var (
	exchangeProgram = program{name: "exchange", reuseChange: true, version: 1, feeMin: 5, feeMax: 40}
	serviceProgram  = program{name: "service", changeLast: true, version: 2, lockHeight: true, feeMin: 3, feeMax: 30}
	operatorProgram = program{name: "operator", lockHeight: true, rbf: true, version: 2, feeMin: 2, feeMax: 30}
	coinjoinProgram = program{name: "coinjoin", version: 1, feeMin: 2, feeMax: 20}
)

// utxo is an unspent output held by a wallet. tag links it to a ransom
// incident (0: none).
type utxo struct {
	op    wire.OutPoint
	value int64
	addr  address
	tag   uint32
}

// wallet is one program's view of an owner's coins.
type wallet struct {
	owner *entity
	prog  *program
	typ   scriptType
	utxos []utxo
	recv  address // last receive address, for owners who reuse
	reuse bool    // the owner hands out the same receive address again
	max   int     // UTXOs kept; past it the smallest are forgotten (they stay unspent)
}

func (w *wallet) balance() int64 {
	var s int64
	for i := range w.utxos {
		s += w.utxos[i].value
	}
	return s
}

func (w *wallet) add(u utxo) {
	if len(w.utxos) >= w.max {
		small := 0
		for i := range w.utxos {
			if w.utxos[i].value < w.utxos[small].value {
				small = i
			}
		}
		w.utxos[small] = w.utxos[len(w.utxos)-1]
		w.utxos = w.utxos[:len(w.utxos)-1]
	}
	w.utxos = append(w.utxos, u)
}

// take removes and returns the UTXOs at the given indexes.
func (w *wallet) take(idx []int) []utxo {
	out := make([]utxo, len(idx))
	for i, j := range idx {
		out[i] = w.utxos[j]
	}
	keep := w.utxos[:0]
	for i := range w.utxos {
		if !contains(idx, i) {
			keep = append(keep, w.utxos[i])
		}
	}
	w.utxos = keep
	return out
}

func contains(s []int, v int) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

// output is one output of a planned transaction; to is the wallet that
// will hold it (every output has an owner, so truth covers every address).
type output struct {
	addr  address
	value int64
	to    *wallet
	tag   uint32
}

// plan is a transaction before it is built. The residual (inputs minus
// outputs minus fee) goes to change, or is all fee when change is nil.
type plan struct {
	prog      *program
	feeRate   int64
	ins       []utxo
	outs      []output
	change    *wallet
	changeTo  address
	changeTag uint32
	behaviour Behaviour
	actor     *entity
}

const dust = 546

// built is what emit reports back: the txid and where each planned output
// ended up, so callers can record ground truth about specific outputs.
type built struct {
	id     chainhash.Hash
	vout   []uint32 // vout of plan.outs[i]
	change int      // vout of the change output, -1 if none
	fee    int64
}

// build turns p into a transaction and emits it. It reports false, having
// changed nothing, when the inputs cannot pay the outputs and a fee.
func (g *gen) build(p *plan) (built, bool) {
	tx := wire.NewMsgTx(p.prog.version)
	if p.prog.lockHeight {
		tx.LockTime = uint32(g.height)
	}
	seq := uint32(wire.MaxTxInSequenceNum)
	switch {
	case p.prog.rbf:
		seq = wire.MaxTxInSequenceNum - 2
	case p.prog.lockHeight:
		seq = wire.MaxTxInSequenceNum - 1 // a final sequence would disable the locktime
	}
	var in int64
	for i := range p.ins {
		u := &p.ins[i]
		txIn := wire.NewTxIn(&u.op, nil, nil)
		txIn.Sequence = seq
		g.junk.unlock(txIn, u.addr, g.rng.Uint64())
		tx.AddTxIn(txIn)
		in += u.value
	}
	var out int64
	b := built{vout: make([]uint32, len(p.outs)), change: -1}
	for i := range p.outs {
		tx.AddTxOut(wire.NewTxOut(p.outs[i].value, p.outs[i].addr.pkScript(nil)))
		b.vout[i] = uint32(i)
		out += p.outs[i].value
	}
	fee := in - out
	if p.change != nil {
		pos := len(tx.TxOut)
		if !p.prog.changeLast && pos > 0 {
			pos = g.rng.IntN(pos + 1)
		}
		tx.TxOut = append(tx.TxOut, nil)
		copy(tx.TxOut[pos+1:], tx.TxOut[pos:])
		tx.TxOut[pos] = wire.NewTxOut(0, p.changeTo.pkScript(nil))
		fee = vsize(tx) * p.feeRate
		rest := in - out - fee
		if rest >= dust {
			tx.TxOut[pos].Value = rest
			b.change = pos
			for i := range b.vout {
				if int(b.vout[i]) >= pos {
					b.vout[i]++
				}
			}
		} else {
			tx.TxOut = append(tx.TxOut[:pos], tx.TxOut[pos+1:]...)
			fee = in - out
		}
	}
	if fee <= 0 || len(tx.TxOut) == 0 {
		return built{}, false
	}
	b.fee = fee
	b.id = tx.TxHash()
	for i := range p.outs {
		o := &p.outs[i]
		o.to.add(utxo{op: wire.OutPoint{Hash: b.id, Index: b.vout[i]}, value: o.value, addr: o.addr, tag: o.tag})
	}
	if b.change >= 0 {
		p.change.add(utxo{op: wire.OutPoint{Hash: b.id, Index: uint32(b.change)}, value: tx.TxOut[b.change].Value, addr: p.changeTo, tag: p.changeTag})
	}
	g.emit(tx, &b.id, fee, p.behaviour, p.actor)
	return b, true
}

// feeRate draws a fee rate within prog's range.
func (g *gen) feeRate(prog *program) int64 {
	return prog.feeMin + g.rng.Int64N(prog.feeMax-prog.feeMin+1)
}

// selectCoins picks UTXOs of w, from a random starting point, until they
// cover amount plus an estimated fee for nOut outputs and change. It
// returns nil when w cannot pay.
func (g *gen) selectCoins(w *wallet, amount, feeRate int64, outTypes []scriptType, maxIn int) []int {
	if len(w.utxos) == 0 {
		return nil
	}
	est := int64(11) + outputVSize(w.typ)
	for _, t := range outTypes {
		est += outputVSize(t)
	}
	var idx []int
	var sum int64
	start := g.rng.IntN(len(w.utxos))
	for k := 0; k < len(w.utxos) && len(idx) < maxIn; k++ {
		i := (start + k) % len(w.utxos)
		idx = append(idx, i)
		sum += w.utxos[i].value
		est += inputVSize(w.utxos[i].addr.typ)
		if sum >= amount+est*feeRate*11/10+dust {
			return idx
		}
	}
	return nil
}

// pay spends from w to outs with change back to w, following w's program.
func (g *gen) pay(w *wallet, outs []output, b Behaviour) (built, bool) {
	var amount int64
	types := make([]scriptType, len(outs))
	for i := range outs {
		amount += outs[i].value
		types[i] = outs[i].addr.typ
	}
	rate := g.feeRate(w.prog)
	idx := g.selectCoins(w, amount, rate, types, 60)
	if idx == nil {
		return built{}, false
	}
	ins := w.take(idx)
	p := &plan{prog: w.prog, feeRate: rate, ins: ins, outs: outs, change: w, behaviour: b, actor: w.owner}
	switch {
	case w.prog.reuseChange:
		p.changeTo = ins[0].addr
	case w.prog.changeSameType && len(outs) > 0:
		p.changeTo = g.newAddress(w.owner, outs[0].addr.typ)
	default:
		p.changeTo = g.newAddress(w.owner, w.typ)
	}
	r, ok := g.build(p)
	if !ok {
		w.utxos = append(w.utxos, ins...) // nothing was spent
	}
	return r, ok
}

// sweep spends the given UTXOs of w (all when idx is nil) to one output
// at dst, held by to.
func (g *gen) sweep(w *wallet, idx []int, to *wallet, dst address, b Behaviour, rate int64) (built, bool) {
	var ins []utxo
	if idx == nil {
		ins, w.utxos = w.utxos, nil
	} else {
		ins = w.take(idx)
	}
	if len(ins) == 0 {
		return built{}, false
	}
	p := &plan{prog: w.prog, feeRate: rate, ins: ins, change: to, changeTo: dst, behaviour: b, actor: w.owner}
	r, ok := g.build(p)
	if !ok {
		w.utxos = append(w.utxos, ins...)
	}
	return r, ok
}

// receive returns an address for w to be paid at: its last one for owners
// who reuse addresses, else a fresh one.
func (g *gen) receive(w *wallet) address {
	if w.reuse && w.recv != (address{}) && g.rng.IntN(4) != 0 {
		return w.recv
	}
	w.recv = g.newAddress(w.owner, w.typ)
	return w.recv
}
