package chainindex

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/big"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/entente/entente/internal/chain"
)

// maxHeaders bounds the blocks a block directory may hold (mainnet has
// under a million), so a hostile directory cannot exhaust memory.
const maxHeaders = 20_000_000

// located is where a block is in the block files.
type located struct {
	prev   chainhash.Hash
	file   int
	offset int64
	size   uint32
	work   *big.Int // chain work up to and including this block
	height int32    // -1 until linked
}

// Source is a set of Bitcoin Core block files.
type Source struct {
	Files  []string
	XORKey [chain.XORKeySize]byte
}

// OpenSource lists the blk*.dat files of a blocks directory (with its
// xor.dat, if any) or takes one file.
func OpenSource(path string) (Source, error) {
	st, err := os.Stat(path)
	if err != nil {
		return Source{}, err
	}
	if !st.IsDir() {
		return Source{Files: []string{path}}, nil
	}
	var src Source
	ents, err := os.ReadDir(path)
	if err != nil {
		return src, err
	}
	for _, e := range ents {
		if n := e.Name(); strings.HasPrefix(n, "blk") && strings.HasSuffix(n, ".dat") && e.Type().IsRegular() {
			src.Files = append(src.Files, filepath.Join(path, n))
		}
	}
	sort.Strings(src.Files)
	if len(src.Files) == 0 {
		return src, fmt.Errorf("chainindex: no blk*.dat files in %s", path)
	}
	if b, err := os.ReadFile(filepath.Join(path, "xor.dat")); err == nil {
		if src.XORKey, err = chain.ParseXORKey(b); err != nil {
			return src, err
		}
	} else if !errors.Is(err, os.ErrNotExist) {
		return src, err
	}
	return src, nil
}

// IngestStats reports an Ingest.
type IngestStats struct {
	Blocks, Txs int
	Stale       int // blocks in the files off the best chain
	Elapsed     time.Duration
}

// Ingest indexes the blocks of src that extend the index, in chain order.
// A first pass reads every header and picks the chain with the most work
// from the genesis block (all-zero previous hash); a second reads those
// blocks past the index's tip. It commits at the end. A damaged block file
// (truncated, bad magic or length) ends the reading of that file: the best
// chain of the blocks before the fault is indexed, then the fault, naming
// the file and offset, is returned.
func (ix *Index) Ingest(ctx context.Context, src Source) (IngestStats, error) {
	if ix.cfg.ReadOnly {
		return IngestStats{}, ErrReadOnly
	}
	now := ix.cfg.Now
	start := now()
	ix.fault = nil
	defer func() { ix.located, ix.fault = nil, nil }()
	best, all, err := ix.bestChain(ctx, src)
	if err != nil {
		return IngestStats{}, errors.Join(err, ix.fault)
	}
	st, err := ix.ingestChain(ctx, src, best, all, start, now)
	if err != nil {
		return st, err
	}
	// A damaged file: the blocks before the fault are in, the rest waits
	// for the cause to be fixed.
	return st, ix.fault
}

// blockReader reads blocks of the best chain from the block files.
type blockReader struct {
	ix    *Index
	src   Source
	best  []chainhash.Hash
	files []*os.File
}

func (r *blockReader) close() {
	for _, f := range r.files {
		if f != nil {
			f.Close()
		}
	}
}

// read reads and parses the block at height h into blk, using buf.
func (r *blockReader) read(h int, blk *chain.Block, buf *[]byte) error {
	loc := r.ix.located[r.best[h]]
	if r.files[loc.file] == nil {
		f, err := os.Open(r.src.Files[loc.file])
		if err != nil {
			return err
		}
		r.files[loc.file] = f
	}
	if cap(*buf) < int(loc.size) {
		*buf = make([]byte, loc.size)
	}
	b := (*buf)[:loc.size]
	if _, err := r.files[loc.file].ReadAt(b, loc.offset); err != nil {
		return &chain.FileError{File: r.src.Files[loc.file], Offset: loc.offset - 8, Err: err}
	}
	if r.src.XORKey != [chain.XORKeySize]byte{} {
		for i := range b {
			b[i] ^= r.src.XORKey[(loc.offset+int64(i))%chain.XORKeySize]
		}
	}
	if err := blk.Parse(b); err != nil {
		return &chain.FileError{File: r.src.Files[loc.file], Offset: loc.offset - 8, Err: fmt.Errorf("block %s (height %d): %w", r.best[h], h, err)}
	}
	return nil
}

// readSlot is a block read ahead of indexing, with its own buffer.
type readSlot struct {
	h   int
	blk chain.Block
	lk  lookups
	buf []byte
	err error
}

// readAhead is how many blocks are read and parsed ahead of the one being
// indexed: reading, XOR, parsing (with its txid hashing) and the lookups'
// hashes run on one core while indexing runs on another.
const readAhead = 4

func (ix *Index) ingestChain(ctx context.Context, src Source, best []chainhash.Hash, all int, start time.Time, now func() time.Time) (IngestStats, error) {
	st := IngestStats{Stale: all - len(best)}
	_, have := ix.Tip()
	if int(have) > len(best) {
		return st, fmt.Errorf("%w: the index has %d blocks, the block files' best chain %d", ErrNotConnected, have, len(best))
	}
	if have > 0 && best[have-1] != ix.tip {
		return st, fmt.Errorf("%w: the index tip %s (height %d) is not on the block files' best chain", ErrNotConnected, ix.tip, have-1)
	}
	ahead := &blockReader{ix: ix, src: src, best: best, files: make([]*os.File, len(src.Files))}
	defer ahead.close()

	// The reader fills free slots in height order and stops at the first
	// error, which it hands over in its slot.
	readCtx, stop := context.WithCancel(ctx)
	free := make(chan *readSlot, readAhead)
	full := make(chan *readSlot, readAhead)
	for range readAhead {
		free <- &readSlot{}
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer close(full)
		for h := int(have); h < len(best); h++ {
			var s *readSlot
			select {
			case s = <-free:
			case <-readCtx.Done():
				return
			}
			s.h = h
			s.err = ahead.read(h, &s.blk, &s.buf)
			if s.err == nil {
				ix.prepare(&s.blk, &s.lk)
			}
			full <- s
			if s.err != nil {
				return
			}
		}
	}()
	defer func() {
		stop()
		for range full {
		}
		<-done
	}()

	if ix.cfg.Progress != nil {
		ix.cfg.Progress(int(have), len(best), 0)
	}
	var (
		lastLog = start
		lastTxs int
	)
	for s := range full {
		h := s.h
		if err := ctx.Err(); err != nil {
			return st, errors.Join(err, ix.Commit())
		}
		if s.err != nil {
			return st, s.err
		}
		if err := ix.addPrepared(&s.blk, &s.lk); err != nil {
			err = fmt.Errorf("%s at offset %d: %w", src.Files[ix.located[best[h]].file], ix.located[best[h]].offset-8, err)
			// The rollback went back to the last commit: index the good
			// blocks before the fault again and keep them.
			again := &blockReader{ix: ix, src: src, best: best, files: make([]*os.File, len(src.Files))}
			defer again.close()
			var (
				blk chain.Block
				buf []byte
			)
			_, from := ix.Tip()
			for g := int(from); g < h; g++ {
				if rerr := again.read(g, &blk, &buf); rerr != nil {
					return st, errors.Join(err, rerr)
				}
				if rerr := ix.AddBlock(&blk); rerr != nil {
					return st, errors.Join(err, rerr)
				}
			}
			return st, errors.Join(err, ix.Commit())
		}
		st.Blocks++
		st.Txs += len(s.blk.Txs)
		free <- s
		if ix.cfg.Progress != nil {
			ix.cfg.Progress(h+1, len(best), uint64(st.Txs))
		} else if t := now(); t.Sub(lastLog) >= 5*time.Second {
			rate := float64(st.Txs-lastTxs) / t.Sub(lastLog).Seconds()
			ix.cfg.Logger.Info("ingest", "height", h, "blocks", st.Blocks, "txs", st.Txs, "tx_per_s", int(rate))
			lastLog, lastTxs = t, st.Txs
		}
	}
	if err := ctx.Err(); err != nil {
		return st, errors.Join(err, ix.Commit())
	}
	st.Elapsed = now().Sub(start)
	return st, ix.Commit()
}

// bestChain reads every header of src and returns the hashes of the
// most-work chain from genesis, and the number of blocks seen.
func (ix *Index) bestChain(ctx context.Context, src Source) ([]chainhash.Hash, int, error) {
	ix.located = map[chainhash.Hash]*located{}
	var order []chainhash.Hash // file order, to link deterministically
	for fi, name := range src.Files {
		f, err := os.Open(name)
		if err != nil {
			return nil, 0, err
		}
		r := chain.NewBlockFileReader(f, chain.BlockFileConfig{Network: ix.cfg.Network, Name: name, XORKey: src.XORKey})
		for {
			if err := ctx.Err(); err != nil {
				f.Close()
				return nil, 0, err
			}
			fb, err := r.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				// Keep the blocks before the fault: index them, then report.
				ix.fault = errors.Join(ix.fault, err)
				break
			}
			if len(ix.located) >= maxHeaders {
				f.Close()
				return nil, 0, fmt.Errorf("chainindex: more than %d blocks in %s", maxHeaders, name)
			}
			hash := chainhash.DoubleHashH(fb.Bytes[:chain.HeaderSize])
			if _, dup := ix.located[hash]; dup {
				continue
			}
			var prev chainhash.Hash
			copy(prev[:], fb.Bytes[4:36])
			bits := uint32(fb.Bytes[72]) | uint32(fb.Bytes[73])<<8 | uint32(fb.Bytes[74])<<16 | uint32(fb.Bytes[75])<<24
			ix.located[hash] = &located{prev: prev, file: fi, offset: fb.Offset, size: uint32(len(fb.Bytes)), work: blockWork(bits), height: -1}
			order = append(order, hash)
		}
		f.Close()
	}
	// Link in file order; a block whose parent comes later is linked on a
	// later sweep. Parents mostly precede children, so sweeps are few.
	var tip *located
	var tipHash chainhash.Hash
	consider := func(l *located, h chainhash.Hash) {
		better := tip == nil
		if !better {
			c := l.work.Cmp(tip.work)
			better = c > 0 || c == 0 && l.height > tip.height
		}
		if better {
			tip, tipHash = l, h
		}
	}
	link := func() {
		for changed := true; changed; {
			changed = false
			for _, h := range order {
				l := ix.located[h]
				if l.height >= 0 {
					continue
				}
				if l.prev == (chainhash.Hash{}) {
					l.height = 0
				} else if p, ok := ix.located[l.prev]; ok && p.height >= 0 {
					l.height = p.height + 1
					l.work = new(big.Int).Add(l.work, p.work)
				} else {
					continue
				}
				changed = true
				consider(l, h)
			}
		}
	}
	link()
	// A pruned node's blocks directory (Bitcoin Core deletes its oldest
	// block files), or files handed over in parts, start past genesis:
	// when the index's tip is not linked to a genesis in the files, chains
	// may also grow from it, at the heights the index gives them. Its
	// ancestors are not in the files, so their work counts as none.
	_, have := ix.Tip()
	base, seen := 0, len(order) // heights below base are the index's, not the files'
	if l, ok := ix.located[ix.tip]; have > 0 && (!ok || l.height < 0) {
		base = int(have)
		// The index's blocks count as seen, so that the stale count
		// (blocks seen off the best chain) stays right.
		seen += base
		if ok {
			// The tip and its ancestors in the files are counted already.
			for a, in := l, true; in; a, in = ix.located[a.prev] {
				seen--
			}
		}
		if !ok {
			l = &located{file: -1, work: new(big.Int)}
			ix.located[ix.tip] = l
		}
		l.height = int32(base - 1)
		consider(l, ix.tip)
		link()
		if !ok && tip == l && len(order) > 0 {
			// Blocks, none of which continues the index: a gap, older
			// blocks, or another chain.
			return nil, seen, fmt.Errorf("%w: none of the %d blocks in the block files follows the index's tip %s (height %d) or links to a genesis block: blocks between are missing, or the files hold only blocks before the tip, or another chain",
				ErrNotConnected, len(order), ix.tip, base-1)
		}
	}
	if tip == nil {
		return nil, len(order), fmt.Errorf("%w: no genesis block (all-zero previous hash) in the block files", ErrNotConnected)
	}
	best := make([]chainhash.Hash, tip.height+1)
	for h, l := tipHash, tip; ; l = ix.located[l.prev] {
		best[l.height] = h
		if l.height == 0 || int(l.height) == base-1 {
			break
		}
		h = l.prev
	}
	return best, seen, nil
}

// blockWork is the expected number of hashes for a block of the compact
// target bits: 2^256 / (target + 1), as Bitcoin Core computes chain work.
func blockWork(bits uint32) *big.Int {
	mant, exp := int64(bits&0x007fffff), uint(bits>>24)
	target := big.NewInt(mant)
	if exp <= 3 {
		target.Rsh(target, 8*(3-exp))
	} else {
		target.Lsh(target, 8*(exp-3))
	}
	if bits&0x00800000 != 0 || target.Sign() <= 0 {
		return big.NewInt(0)
	}
	return new(big.Int).Div(new(big.Int).Lsh(big.NewInt(1), 256), target.Add(target, big.NewInt(1)))
}
