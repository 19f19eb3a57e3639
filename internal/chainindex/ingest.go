package chainindex

import (
	"encoding/binary"
	"fmt"

	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/entente/entente/internal/chain"
	"github.com/entente/entente/internal/cluster"
)

// AddBlock indexes the next block of the chain, which must connect to the
// tip (the genesis block to an empty index), and commits every
// Config.CommitEvery blocks. On error everything since the last commit is
// dropped (a block is never half indexed); [Index.Tip] tells where to
// resume.
func (ix *Index) AddBlock(blk *chain.Block) error {
	return ix.addPrepared(blk, nil)
}

// addPrepared is AddBlock with the block's lookups computed already, or
// nil.
func (ix *Index) addPrepared(blk *chain.Block, lk *lookups) error {
	if ix.cfg.ReadOnly {
		return ErrReadOnly
	}
	if lk == nil {
		lk = &ix.lk
		ix.prepare(blk, lk)
	}
	height := ix.blocks.len()
	if err := ix.addBlock(blk, height, lk); err != nil {
		if rerr := ix.rollback(); rerr != nil {
			return fmt.Errorf("%w (and the rollback failed: %v)", err, rerr)
		}
		return err
	}
	ix.pendingBlks++
	ix.pendingTxs += len(blk.Txs)
	if ix.pendingBlks >= ix.cfg.CommitEvery || ix.pendingTxs >= 500_000 {
		return ix.commit(false)
	}
	return nil
}

func (ix *Index) addBlock(blk *chain.Block, height uint64, lk *lookups) error {
	hash := blk.Hash()
	want := ix.tip
	if height == 0 {
		want = chainhash.Hash{}
	}
	if blk.Header.PrevBlock != want {
		return fmt.Errorf("%w: block %s at height %d has previous block %s, the tip is %s",
			ErrNotConnected, hash, height, blk.Header.PrevBlock, want)
	}
	if height >= uint64(none) || ix.txs.len()+uint64(len(blk.Txs)) >= uint64(none) {
		return ErrFull
	}
	ix.beginUndo()
	ix.undo[len(ix.undo)-1].hash = hash
	defer func() { ix.recording = false }()
	var rec [blockWidth]byte
	copy(rec[:32], hash[:])
	binary.LittleEndian.PutUint32(rec[32:], blk.Header.Timestamp)
	binary.LittleEndian.PutUint32(rec[36:], uint32(ix.txs.len()))
	ix.blocks.appendRec(rec[:])
	in, out := 0, 0 // of the block, where lk's entries of the next tx start
	for i := range blk.Txs {
		if i%touchBatch == 0 {
			in1, out1 := in, out
			for j := i; j < min(i+touchBatch, len(blk.Txs)); j++ {
				in1 += len(blk.Txs[j].In)
				out1 += len(blk.Txs[j].Out)
			}
			ix.touch(lk, in, in1, out, out1)
		}
		tx := &blk.Txs[i]
		if err := ix.addTx(tx, uint32(height), lk, i, in, out); err != nil {
			return fmt.Errorf("block %s (height %d): %w", hash, height, err)
		}
		in += len(tx.In)
		out += len(tx.Out)
	}
	ix.tip = hash
	return nil
}

// addTx indexes tx, the i-th of its block, whose lookups start at input
// inBase and output outBase of the block in lk.
func (ix *Index) addTx(tx *chain.Tx, height uint32, lk *lookups, i, inBase, outBase int) error {
	txNum := uint32(ix.txs.len())
	if ix.ins.len()+uint64(len(tx.In)) >= uint64(none) || ix.outs.len()+uint64(len(tx.Out)) >= uint64(none) {
		return ErrFull
	}
	var rec [txWidth]byte
	copy(rec[:32], tx.TxID[:])
	binary.LittleEndian.PutUint32(rec[32:], uint32(ix.outs.len()))
	binary.LittleEndian.PutUint32(rec[36:], uint32(ix.ins.len()))
	ix.txs.appendRec(rec[:])
	seq := cluster.SeqStart
	for i := range tx.In {
		seq = cluster.SeqClass(seq, tx.In[i].Sequence)
	}
	ix.fp.tail = append(ix.fp.tail, byte(cluster.MakeFingerprint(tx.Version, tx.LockTime, height, seq, tx.HasWitness)))

	ix.inAddrs = ix.inAddrs[:0]
	if tx.IsCoinbase() {
		ix.ins.appendU32(none)
	} else {
		for j := range tx.In {
			in := &tx.In[j]
			o, err := ix.outpoint(lk.inH[inBase+j], in.PrevTxID, in.PrevIndex, txNum)
			if err != nil {
				return fmt.Errorf("tx %s input %d: %w", tx.TxID, j, err)
			}
			if s := ix.spent.u32(o); s != 0 {
				by := "a transaction the index does not have (corrupt)"
				if uint64(s-1) < ix.txs.len() {
					by = ix.TxID(s - 1).String()
				}
				return fmt.Errorf("tx %s input %d: %w: %s:%d was spent by %s", tx.TxID, j, ErrDoubleSpend,
					in.PrevTxID, in.PrevIndex, by)
			}
			ix.spent.setU32(o, txNum+1)
			ix.ins.appendU32(o)
			if a := ix.outAddr(o); a != none {
				if uint64(a) >= ix.addrEnd.len() {
					return fmt.Errorf("%w: output %d names address %d", ErrCorrupt, o, a)
				}
				ix.inAddrs = append(ix.inAddrs, a)
			}
		}
	}

	ix.outVals = ix.outVals[:0]
	for j := range tx.Out {
		out := &tx.Out[j]
		o := uint32(ix.outs.len())
		addr := none
		if key := lk.key(outBase + j); key != nil {
			var err error
			if addr, err = ix.addressFor(key, lk.outH[outBase+j]); err != nil {
				return err
			}
		}
		prev := uint32(0)
		if addr != none {
			prev = ix.last.u32(addr)
			ix.last.setU32(addr, o+1)
		}
		var rec [outWidth]byte
		binary.LittleEndian.PutUint64(rec[:], uint64(out.Value))
		binary.LittleEndian.PutUint32(rec[8:], addr)
		binary.LittleEndian.PutUint32(rec[12:], prev)
		ix.outs.appendRec(rec[:])
		ix.spent.appendU32(0)
		ix.outVals = append(ix.outVals, out.Value)
	}

	// Inserted last so that a transaction cannot spend its own outputs. A
	// txid seen before (two mainnet coinbases repeat, BIP 30) keeps its
	// first transaction: the repeats made the first one's outputs
	// unspendable, so no input refers to either.
	h := lk.txH[i]
	if _, dup := ix.findTx(h, tx.TxID); !dup {
		if err := ix.txidTab.insert(h, txNum, txKeys{ix}); err != nil {
			return err
		}
	}

	var kind cluster.CoinJoin
	kind, ix.refusals = ix.clusterer.AddTx(ix.inAddrs, ix.outVals, ix.refusals[:0])
	if kind != cluster.NotCoinJoin {
		ix.coinjoins++
	}
	for _, r := range ix.refusals {
		var rec [refusedWidth]byte
		for i, v := range []uint32{txNum, r.A, r.B, r.SizeA, r.SizeB, uint32(r.Reason)} {
			binary.LittleEndian.PutUint32(rec[4*i:], v)
		}
		ix.refused.appendRec(rec[:])
	}
	return nil
}

// outpoint resolves txid:index to an output id; h is the txid's hash.
func (ix *Index) outpoint(h uint64, txid chainhash.Hash, index uint32, before uint32) (uint32, error) {
	t, ok := ix.findTx(h, txid)
	if !ok || t >= before {
		return 0, fmt.Errorf("%w: %s:%d", ErrMissingOutput, txid, index)
	}
	first, end := ix.txOutputs(t)
	if uint64(index) >= uint64(end-first) {
		return 0, fmt.Errorf("%w: %s:%d (the transaction has %d outputs)", ErrMissingOutput, txid, index, end-first)
	}
	return first + index, nil
}

func (ix *Index) findTx(h uint64, txid chainhash.Hash) (uint32, bool) {
	return ix.txidTab.find(h, uint32(ix.txs.len()), func(id uint32) bool {
		return string(ix.txs.at(uint64(id))[:32]) == string(txid[:])
	})
}

// addressFor returns the id of an address key of hash h, adding it if
// new.
func (ix *Index) addressFor(key []byte, h uint64) (uint32, error) {
	n := uint32(ix.addrEnd.len())
	if id, ok := ix.addrTab.find(h, n, func(id uint32) bool { return string(ix.addressKey(id)) == string(key) }); ok {
		return id, nil
	}
	if uint64(n)+1 >= uint64(none) {
		return none, ErrFull
	}
	ix.addrKey.appendRec(key)
	var end [8]byte
	binary.LittleEndian.PutUint64(end[:], ix.addrKey.len())
	ix.addrEnd.appendRec(end[:])
	ix.last.appendU32(0)
	ix.parent.appendU32(n)
	ix.size.appendU32(1)
	ix.next.appendU32(n)
	if err := ix.addrTab.insert(h, n, addrKeys{ix}); err != nil {
		return none, err
	}
	return n, nil
}
