package score

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"time"

	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/entente/entente/internal/chainindex"
	"github.com/entente/entente/internal/trace"
)

// Index is what scoring reads of a chain index: addresses and clusters
// for clustering, the transaction graph for tracing.
type Index interface {
	trace.Graph
	AddressInfo(addr string, limit int) (chainindex.Address, error)
	Stats() (chainindex.Stats, error)
	TraceStarts(sp trace.Spec, limit int) ([]trace.Start, error)
}

var _ Index = (*chainindex.Index)(nil)

// maxOutputs bounds the outputs read of one address when looking for
// co-spends; a hot wallet past it is already known to co-spend.
const maxOutputs = 1 << 20

// Config says what to score.
type Config struct {
	// Truth is the directory sim.Generate wrote (holding truth/). Required.
	Truth string
	// Index is the chain index the truth's blocks were ingested into. Required.
	Index Index
	// Logger gets progress lines. Optional; default discards.
	Logger *slog.Logger
	// Now is the clock for elapsed times. Optional; default time.Now.
	Now func() time.Time
	// TraceDepth is the most transactions a ransom trace follows.
	// Optional; default [DefaultTraceDepth], at most 1,000.
	TraceDepth int
}

// Row is the score of one heuristic combination.
type Row struct {
	Heuristics string `json:"heuristics"` // "multi-input"
	CoinJoins  string `json:"coinjoins"`  // how CoinJoins are treated
	Result
	// Reachable is recall against the pairs a perfect multi-input
	// heuristic would link: addresses of one entity connected by
	// transactions spending them together, CoinJoins excluded.
	Reachable Recall `json:"reachable"`
	// RefusedMerges are merges the index's cluster guard refused.
	RefusedMerges uint64 `json:"refused_merges"`
	// ByKind is recall among the entities of each kind (exchange,
	// individual...): it shows whose wallets the heuristic can not link.
	ByKind map[string]Recall `json:"recall_by_kind"`
}

// Report is a whole scoring run.
type Report struct {
	TruthAddresses   uint64        `json:"truth_addresses"`
	IndexedAddresses uint64        `json:"indexed_addresses"` // of the truth's, found in the index
	CoinJoinsSkipped uint64        `json:"coinjoins_skipped"` // by the engine
	TruthCoinJoins   uint64        `json:"truth_coinjoins"`
	Clustering       []Row         `json:"clustering"`
	Tracing          []TraceRow    `json:"tracing"` // one row per policy
	Elapsed          time.Duration `json:"elapsed_ns"`
}

// Score scores the index's clustering against the truth.
func Score(ctx context.Context, cfg Config) (Report, error) {
	if cfg.Truth == "" || cfg.Index == nil {
		return Report{}, errors.New("score: Config.Truth and Config.Index are required")
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	now := cfg.Now
	if now == nil {
		now = time.Now
	}
	depth := cfg.TraceDepth
	if depth == 0 {
		depth = DefaultTraceDepth
	}
	if depth < 0 || depth > 1000 {
		return Report{}, fmt.Errorf("score: trace depth %d not in [1, 1000]", depth)
	}
	start := now()
	var rep Report

	coinjoins, err := readCoinJoins(filepath.Join(cfg.Truth, "truth", "txs.csv"))
	if err != nil {
		return rep, err
	}
	rep.TruthCoinJoins = uint64(len(coinjoins))

	kinds, err := readKinds(filepath.Join(cfg.Truth, "truth", "entities.csv"))
	if err != nil {
		return rep, err
	}

	f, err := os.Open(filepath.Join(cfg.Truth, "truth", "addresses.csv"))
	if err != nil {
		return rep, fmt.Errorf("score: %w", err)
	}
	defer f.Close()

	multi := NewTable()
	// spends holds (spending tx, entity) seen from one address; seeing it
	// again from another address of the entity is a co-spend.
	type spend struct {
		tx     uint64
		entity uint32
	}
	spends := map[spend]uint32{}
	coSpenders := map[uint32]bool{}
	// reach links, by ordinal among indexed addresses, the addresses of
	// one entity spent together: the clustering a perfect multi-input
	// heuristic would find.
	var reach forest
	var txs []uint64
	// exchanges labels the exchanges' addresses with their entity ids, as
	// the exchanges' own tags would, for tracing.
	exchanges := trace.Labels{}
	err = ReadAddresses(f, func(addr string, entity uint32) error {
		rep.TruthAddresses++
		if rep.TruthAddresses%(1<<20) == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
			log.Info("score progress", "addresses", rep.TruthAddresses)
		}
		a, err := cfg.Index.AddressInfo(addr, maxOutputs)
		if errors.Is(err, chainindex.ErrCorrupt) {
			return err
		}
		if err != nil {
			return nil // not on chain, or not of the index's network
		}
		ord := uint32(rep.IndexedAddresses)
		rep.IndexedAddresses++
		reach.add()
		multi.Add(a.Cluster, entity)
		if kinds[entity] == "exchange" {
			exchanges[a.ID] = trace.Label{Entity: strconv.FormatUint(uint64(entity), 10), Category: "exchange"}
		}
		txs = txs[:0]
		for _, o := range a.List {
			if o.Spent {
				txs = append(txs, txKey(o.SpentBy))
			}
		}
		slices.Sort(txs)
		for _, tx := range slices.Compact(txs) {
			if _, cj := coinjoins[tx]; cj {
				continue
			}
			k := spend{tx, entity}
			if first, ok := spends[k]; ok {
				coSpenders[entity] = true
				reach.union(first, ord)
				continue
			}
			spends[k] = ord
		}
		return nil
	})
	if err != nil {
		return rep, fmt.Errorf("score: %w", err)
	}
	if rep.IndexedAddresses == 0 {
		return rep, fmt.Errorf("score: none of the %d truth addresses is in the index: wrong --data or --network?", rep.TruthAddresses)
	}
	st, err := cfg.Index.Stats()
	if err != nil {
		return rep, fmt.Errorf("score: %w", err)
	}
	rep.CoinJoinsSkipped = st.CoinJoins
	row := Row{
		Heuristics:    "multi-input",
		CoinJoins:     "excluded",
		Result:        multi.Result(func(e uint32) bool { return coSpenders[e] }),
		RefusedMerges: st.RefusedMerges,
	}
	row.ByKind = multi.RecallBy(func(e uint32) string { return kinds[e] })
	row.Reachable.Entities = uint64(len(coSpenders))
	row.Reachable.TruePairs = reach.pairs()
	row.Reachable.TruePositives = row.TruePositives
	row.Reachable.Recall = ratio(row.TruePositives, row.Reachable.TruePairs)
	rep.Clustering = append(rep.Clustering, row)

	payments, err := readPayments(cfg.Truth, cfg.Index)
	if err != nil {
		return rep, err
	}
	labels, err := trace.ClusterLabels(cfg.Index, exchanges)
	if err != nil {
		return rep, fmt.Errorf("score: %w", err)
	}
	for _, p := range []trace.Policy{trace.FIFO, trace.LIFO, trace.Haircut, trace.Poison} {
		log.Info("score tracing", "policy", p, "payments", len(payments))
		tr, err := TraceRansoms(ctx, cfg.Index, payments, labels, p, depth)
		if err != nil {
			return rep, err
		}
		rep.Tracing = append(rep.Tracing, tr)
	}
	rep.Elapsed = now().Sub(start)
	return rep, nil
}

// readPayments reads the truth's ransom payments with the exchanges each
// incident was cashed out at, and finds each paid output in ix.
func readPayments(truth string, ix Index) ([]Payment, error) {
	cashedAt := map[string]map[string]bool{}
	f, err := os.Open(filepath.Join(truth, "truth", "ransom_cashouts.csv"))
	if err != nil {
		return nil, fmt.Errorf("score: %w", err)
	}
	defer f.Close()
	err = ReadCashouts(f, func(incident string, exchange uint32) error {
		if cashedAt[incident] == nil {
			if len(cashedAt) >= maxPayments {
				return fmt.Errorf("%w: more than %d incidents", ErrTruth, maxPayments)
			}
			cashedAt[incident] = map[string]bool{}
		}
		cashedAt[incident][strconv.FormatUint(uint64(exchange), 10)] = true
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("score: %w", err)
	}

	p, err := os.Open(filepath.Join(truth, "truth", "ransom_payments.csv"))
	if err != nil {
		return nil, fmt.Errorf("score: %w", err)
	}
	defer p.Close()
	var payments []Payment
	err = ReadPayments(p, func(incident, txid string, vout uint32, value int64) error {
		if len(payments) >= maxPayments {
			return fmt.Errorf("%w: more than %d payments", ErrTruth, maxPayments)
		}
		starts, err := ix.TraceStarts(trace.Spec{Kind: trace.SpecOutput, TxID: txid, Vout: vout}, 1)
		if err != nil {
			return fmt.Errorf("incident %s: %w", incident, err)
		}
		payments = append(payments, Payment{Incident: incident, Start: starts[0], Value: value, CashedAt: cashedAt[incident]})
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("score: %w", err)
	}
	return payments, nil
}

// txKey shortens a txid to 64 bits; txids are hashes, so collisions among
// a few million are vanishingly rare and would only blur a count.
func txKey(h chainhash.Hash) uint64 { return binary.LittleEndian.Uint64(h[:8]) }

func readCoinJoins(path string) (map[uint64]struct{}, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("score: %w", err)
	}
	defer f.Close()
	set := map[uint64]struct{}{}
	err = ReadTxs(f, func(txid, behaviour string) error {
		if behaviour != "coinjoin" {
			return nil
		}
		h, err := chainhash.NewHashFromStr(txid)
		if err != nil {
			return fmt.Errorf("%w: txid %q", ErrTruth, txid)
		}
		set[txKey(*h)] = struct{}{}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("score: %w", err)
	}
	return set, nil
}

// forest is a union-find over dense ordinals, 8 bytes an address.
type forest struct{ parent, size []uint32 }

func (f *forest) add() {
	f.parent = append(f.parent, uint32(len(f.parent)))
	f.size = append(f.size, 1)
}

func (f *forest) find(x uint32) uint32 {
	for f.parent[x] != x {
		f.parent[x] = f.parent[f.parent[x]]
		x = f.parent[x]
	}
	return x
}

func (f *forest) union(a, b uint32) {
	a, b = f.find(a), f.find(b)
	if a == b {
		return
	}
	if f.size[a] < f.size[b] {
		a, b = b, a
	}
	f.parent[b] = a
	f.size[a] += f.size[b]
}

// pairs is the number of address pairs within components.
func (f *forest) pairs() uint64 {
	var n uint64
	for i, p := range f.parent {
		if uint32(i) == p {
			n += pairs(f.size[i])
		}
	}
	return n
}

func readKinds(path string) (map[uint32]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("score: %w", err)
	}
	defer f.Close()
	kinds := map[uint32]string{}
	err = ReadEntities(f, func(e uint32, kind string) error {
		kinds[e] = kind
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("score: %w", err)
	}
	return kinds, nil
}
