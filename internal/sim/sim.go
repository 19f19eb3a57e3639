package sim

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"os"
	"path/filepath"
	"time"

	"github.com/btcsuite/btcd/chaincfg"
	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/wire"
)

// Limits on Config, so that a mistyped flag fails fast instead of filling
// a disk or memory.
const (
	MaxTxs         = 1_000_000_000
	MaxIndividuals = 1_000_000
	MaxTxsPerBlock = 20_000
)

// ErrConfig is wrapped by every error about a bad Config.
var ErrConfig = errors.New("sim: bad config")

// Config says what economy to generate.
type Config struct {
	// Seed makes the run: the same Seed and Config give the same bytes.
	Seed uint64
	// Txs is the number of transactions to write, coinbases included.
	// Required, at least 10 and at most MaxTxs.
	Txs int
	// Profile names the economy: "realistic" (the default), "early",
	// "privacy" or "ransomware"; the package doc describes each, and
	// Profiles lists them. Optional.
	Profile string
	// Network sets the blk file magic and the address encoding. Optional;
	// default mainnet.
	Network *chaincfg.Params
	// TxsPerBlock is the mean number of transactions per block (each block
	// varies by up to a fifth). Optional; default 2,000.
	TxsPerBlock int
	// Individuals is the number of people in the economy; it bounds memory
	// with the per-wallet UTXO limit. Optional; default 10,000.
	Individuals int
	// MaxFileSize is the size past which a new blk file starts. Optional;
	// default 128 MiB as in Bitcoin Core.
	MaxFileSize int64
	// Start is the genesis block's time. Optional; default 2012-01-01 UTC.
	Start time.Time
	// Logger reports progress. Optional; default discards.
	Logger *slog.Logger
}

// Stats summarises a finished run.
type Stats struct {
	Blocks    int
	Txs       int
	Bytes     int64 // of blk files, framing included
	Addresses int
	Incidents int // ransom incidents started
}

func (c *Config) complete() error {
	if c.Txs < 10 || c.Txs > MaxTxs {
		return fmt.Errorf("%w: txs %d not in [10, %d]", ErrConfig, c.Txs, MaxTxs)
	}
	if c.Profile == "" {
		c.Profile = "realistic"
	}
	if _, err := lookupProfile(c.Profile); err != nil {
		return err
	}
	if c.Network == nil {
		c.Network = &chaincfg.MainNetParams
	}
	if c.TxsPerBlock == 0 {
		c.TxsPerBlock = 2000
	}
	if c.TxsPerBlock < 5 || c.TxsPerBlock > MaxTxsPerBlock {
		return fmt.Errorf("%w: txs per block %d not in [5, %d]", ErrConfig, c.TxsPerBlock, MaxTxsPerBlock)
	}
	if c.Individuals == 0 {
		c.Individuals = 10_000
	}
	if c.Individuals < 100 || c.Individuals > MaxIndividuals {
		return fmt.Errorf("%w: individuals %d not in [100, %d]", ErrConfig, c.Individuals, MaxIndividuals)
	}
	if c.MaxFileSize == 0 {
		c.MaxFileSize = 128 << 20
	}
	if c.MaxFileSize < 1<<20 {
		return fmt.Errorf("%w: max file size %d below 1 MiB", ErrConfig, c.MaxFileSize)
	}
	if c.Start.IsZero() {
		c.Start = time.Date(2012, 1, 1, 0, 0, 0, 0, time.UTC)
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	return nil
}

// gen is one run's state. Everything that grows with the run is written
// out as it is made; what stays is bounded by the number of actors.
type gen struct {
	ctx    context.Context
	cfg    Config
	prof   *profile
	rng    *rand.Rand
	junk   junk
	blk    *blkWriter
	truth  *truth
	tagDir string
	tags   []*tagWriter

	nextEntity uint32
	addresses  int

	// The block being assembled.
	height int32
	prev   chainhash.Hash
	time   int64
	txs    []*wire.MsgTx
	ids    []chainhash.Hash
	fees   int64
	target int // transactions wanted in this block, coinbase included

	count  int // transactions written, coinbases included
	blocks int

	economy
}

// Generate writes an economy into dir (blocks/, truth/, tags/; created
// if missing) as the package doc describes.
func Generate(ctx context.Context, dir string, cfg Config) (Stats, error) {
	if err := cfg.complete(); err != nil {
		return Stats{}, err
	}
	prof, _ := lookupProfile(cfg.Profile) // complete checked it
	g := &gen{ctx: ctx, cfg: cfg, prof: prof, rng: rand.New(rand.NewPCG(cfg.Seed, cfg.Seed^0x9e3779b97f4a7c15))}
	g.junk = make(junk, junkSize)
	for i := 0; i < junkSize; i += 8 {
		v := g.rng.Uint64()
		for k := range 8 {
			g.junk[i+k] = byte(v >> (8 * k))
		}
	}
	for _, d := range []string{"blocks", "truth", "tags"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
			return Stats{}, err
		}
	}
	g.blk = &blkWriter{dir: filepath.Join(dir, "blocks"), magic: uint32(cfg.Network.Net), maxFile: cfg.MaxFileSize}
	t, err := createTruth(filepath.Join(dir, "truth"))
	if err != nil {
		return Stats{}, err
	}
	g.truth, g.tagDir = t, filepath.Join(dir, "tags")
	err = g.run()
	err = errors.Join(err, g.blk.close(), g.truth.close())
	for _, tw := range g.tags {
		err = errors.Join(err, tw.close())
	}
	st := Stats{Blocks: g.blocks, Txs: g.count, Bytes: g.blk.bytes, Addresses: g.addresses, Incidents: g.incidentCount}
	return st, err
}

func (g *gen) run() error {
	g.time = g.cfg.Start.Unix()
	if err := g.setup(); err != nil {
		return err
	}
	idle := 0
	for g.count < g.cfg.Txs {
		// Seal when the block is full or only its coinbase fits the budget.
		if len(g.txs)+1 >= g.target || g.count+len(g.txs)+1 >= g.cfg.Txs {
			if err := g.seal(nil); err != nil {
				return err
			}
			continue
		}
		before := len(g.txs)
		g.step()
		if len(g.txs) > before {
			idle = 0
		} else if idle++; idle > 100_000 {
			return errors.New("sim: economy stalled: no actor could make a transaction")
		}
	}
	return nil
}

// newEntity registers an owner in the truth.
func (g *gen) newEntity(kind Kind, name string, tags *tagWriter) *entity {
	g.nextEntity++
	e := &entity{id: g.nextEntity, kind: kind, name: name, tags: tags}
	g.truth.entity(e)
	return e
}

// newAddress makes a fresh address of type t owned by e.
func (g *gen) newAddress(e *entity, t scriptType) address {
	a := address{typ: g.scriptType(t)}
	for i := 0; i < 32; i += 8 {
		v := g.rng.Uint64()
		for k := range 8 {
			a.hash[i+k] = byte(v >> (8 * k))
		}
	}
	s := a.encode(g.cfg.Network)
	g.truth.address(s, e, a.typ)
	g.addresses++
	return a
}

// tag puts a into e's TagPack: services are tagged on every hot and cold
// address and on a few deposit addresses, as investigators learn them.
func (g *gen) tag(e *entity, a address) {
	if e.tags != nil {
		e.tags.tag(a.encode(g.cfg.Network))
	}
}

// emit appends a built transaction to the block being assembled.
func (g *gen) emit(tx *wire.MsgTx, id *chainhash.Hash, fee int64, b Behaviour, actor *entity) {
	g.txs = append(g.txs, tx)
	g.ids = append(g.ids, *id)
	g.fees += fee
	g.truth.tx(id, g.height, b, actor)
}

const subsidy = 50 * 1e8

// seal finishes the block: a coinbase paying the subsidy and fees (or the
// given outputs, for the founding blocks) first, the header, the blk file.
func (g *gen) seal(extra []output) error {
	if err := g.ctx.Err(); err != nil {
		return err
	}
	pool := g.pickPool()
	cb := wire.NewMsgTx(1)
	in := wire.NewTxIn(&wire.OutPoint{Index: wire.MaxPrevOutIndex}, coinbaseScript(g.height, g.rng.Uint64(), pool.marker), nil)
	cb.AddTxIn(in)
	outs := extra
	if outs == nil {
		outs = []output{{addr: pool.payout, value: subsidy + g.fees, to: pool.immature}}
	}
	for _, o := range outs {
		cb.AddTxOut(wire.NewTxOut(o.value, o.addr.pkScript(nil)))
	}
	segwit := false
	for _, tx := range g.txs {
		if tx.HasWitness() {
			segwit = true
			break
		}
	}
	if segwit {
		in.Witness = wire.TxWitness{make([]byte, 32)}
		wids := make([]chainhash.Hash, 1, len(g.txs)+1)
		for _, tx := range g.txs {
			wids = append(wids, tx.WitnessHash())
		}
		root := merkleRoot(wids)
		commit := chainhash.DoubleHashH(append(root[:], make([]byte, 32)...))
		cb.AddTxOut(wire.NewTxOut(0, append(append([]byte(nil), witnessCommitmentHeader...), commit[:]...)))
	}
	cbID := cb.TxHash()
	for i, o := range outs {
		o.to.add(utxo{op: wire.OutPoint{Hash: cbID, Index: uint32(i)}, value: o.value, addr: o.addr})
	}
	if extra == nil {
		pool.matures = append(pool.matures, g.height+coinbaseMaturity)
	}
	miner := pool.ent
	if extra != nil {
		miner = g.founder.owner // the founding blocks are nobody's mining
	}
	g.truth.tx(&cbID, g.height, Mining, miner)

	ids := make([]chainhash.Hash, 0, len(g.ids)+1)
	ids = append(append(ids, cbID), g.ids...)
	blk := wire.MsgBlock{
		Header: wire.BlockHeader{
			Version:    0x20000000,
			PrevBlock:  g.prev,
			MerkleRoot: merkleRoot(ids),
			Timestamp:  time.Unix(g.time, 0),
			Bits:       0x1d00ffff,
			Nonce:      g.rng.Uint32(),
		},
		Transactions: append([]*wire.MsgTx{cb}, g.txs...),
	}
	if err := g.blk.write(&blk); err != nil {
		return err
	}
	g.count += len(blk.Transactions)
	g.blocks++
	if g.blocks%500 == 0 {
		g.cfg.Logger.Info("sim progress", "blocks", g.blocks, "txs", g.count)
	}
	g.prev = blk.Header.BlockHash()
	g.height++
	// Block intervals are exponential with a 10-minute mean.
	g.time += 1 + int64(g.rng.ExpFloat64()*599)
	g.txs, g.ids, g.fees = g.txs[:0], g.ids[:0], 0
	g.target = g.cfg.TxsPerBlock*4/5 + g.rng.IntN(g.cfg.TxsPerBlock*2/5+1)
	g.afterBlock()
	return nil
}

// progress is how far the run is, 0 to 1: it stands for the years from
// 2012 to today when choosing wallet programs and address types.
func (g *gen) progress() float64 {
	return float64(g.count+len(g.txs)) / float64(g.cfg.Txs)
}
