package chainindex

import (
	"github.com/entente/entente/internal/chain"
)

// lookups holds what indexing a block looks up, computed before any of
// its transactions is indexed: the SipHash of each txid, of each input's
// previous txid and of each output's address key. [Index.Ingest] computes
// them on the goroutine that reads and parses blocks ahead, so the
// indexing goroutine only probes; and knowing them ahead lets it load the
// table slots and keys of a batch of transactions together (see
// touchBatch), where probing them one by one would wait on each cache
// miss in turn.
type lookups struct {
	txH    []uint64 // per transaction
	inH    []uint64 // per input, in block order (coinbase inputs too)
	outH   []uint64 // per output, in block order
	keys   []byte   // address keys of the outputs, back to back
	keyAt  []int32  // per output: start of its key in keys, -1 for none
	keyEnd []int32  // per output: end of its key in keys
}

// prepare fills lk for blk. It reads only the table seed, so it may run
// beside the indexing goroutine.
func (ix *Index) prepare(blk *chain.Block, lk *lookups) {
	lk.txH, lk.inH, lk.outH, lk.keys = lk.txH[:0], lk.inH[:0], lk.outH[:0], lk.keys[:0]
	lk.keyAt, lk.keyEnd = lk.keyAt[:0], lk.keyEnd[:0]
	for i := range blk.Txs {
		tx := &blk.Txs[i]
		lk.txH = append(lk.txH, sipHash(tx.TxID[:], &ix.key))
		for j := range tx.In {
			lk.inH = append(lk.inH, sipHash(tx.In[j].PrevTxID[:], &ix.key))
		}
		for j := range tx.Out {
			start := len(lk.keys)
			var ok bool
			if lk.keys, ok = appendKey(lk.keys, tx.Out[j].Script); !ok {
				lk.outH = append(lk.outH, 0)
				lk.keyAt = append(lk.keyAt, -1)
				lk.keyEnd = append(lk.keyEnd, -1)
				continue
			}
			lk.outH = append(lk.outH, sipHash(lk.keys[start:], &ix.key))
			lk.keyAt = append(lk.keyAt, int32(start))
			lk.keyEnd = append(lk.keyEnd, int32(len(lk.keys)))
		}
	}
}

// key returns output o's address key, nil for none.
func (lk *lookups) key(o int) []byte {
	if lk.keyAt[o] < 0 {
		return nil
	}
	return lk.keys[lk.keyAt[o]:lk.keyEnd[o]]
}

// touchBatch is how many transactions' lookups are loaded together.
const touchBatch = 32

// touch loads the table slots that the lookups of inputs [in0, in1) and
// outputs [out0, out1) probe, then the keys those slots name, a few
// probes deep. The loads are independent of each other, so the processor
// overlaps their cache misses; the probes that follow then find the
// lines loaded. Only speed depends on it: a slot taken meanwhile by an
// insert costs one miss more.
func (ix *Index) touch(lk *lookups, in0, in1, out0, out1 int) {
	var sink uint32
	tt, at := ix.txidTab, ix.addrTab
	tmask, amask := tt.slots-1, at.slots-1
	for _, h := range lk.inH[in0:in1] {
		i := h & tmask
		sink += tt.slot(i) + uint32(tt.tg[i])
	}
	for o := out0; o < out1; o++ {
		if lk.keyAt[o] >= 0 {
			i := lk.outH[o] & amask
			sink += at.slot(i) + uint32(at.tg[i])
		}
	}
	ntx, naddr := uint64(ix.txs.len()), uint64(ix.addrEnd.len())
	for _, h := range lk.inH[in0:in1] {
		for i, n := h&tmask, 0; n < 3; i, n = (i+1)&tmask, n+1 {
			v := tt.slot(i)
			if v == 0 || uint64(v-1) >= ntx {
				break
			}
			if tt.tg[i] == tagOf(h) {
				sink += uint32(ix.txs.at(uint64(v - 1))[0])
			}
		}
	}
	for o := out0; o < out1; o++ {
		if lk.keyAt[o] < 0 {
			continue
		}
		h := lk.outH[o]
		for i, n := h&amask, 0; n < 3; i, n = (i+1)&amask, n+1 {
			v := at.slot(i)
			if v == 0 || uint64(v-1) >= naddr {
				break
			}
			if at.tg[i] == tagOf(h) {
				sink += uint32(ix.addrEnd.at(uint64(v - 1))[0])
			}
		}
	}
	ix.sink += sink
}
