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
	"strings"
	"time"

	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/entente/entente/internal/chainindex"
	"github.com/entente/entente/internal/cluster"
	"github.com/entente/entente/internal/trace"
)

// Index is what scoring reads of a chain index: addresses and clusters
// for clustering, the transaction graph for tracing.
type Index interface {
	trace.Graph
	AddressInfo(addr string, limit int) (chainindex.Address, error)
	Stats() (chainindex.Stats, error)
	TraceStarts(sp trace.Spec, limit int) ([]trace.Start, error)
	ChangeClusters(ctx context.Context, ov *cluster.Overlay) error
	TxView(t uint32, v *cluster.Tx) error
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
	// Change lists the change heuristic sets to score, a row each on top
	// of multi-input clustering. Optional; nil means [StandardChange], an
	// empty list none.
	Change []cluster.Heuristics
	// ClusterLimit is the size guard of the change rows' overlays
	// ([cluster.Overlay.Limit]). Optional; default cluster.DefaultLimit.
	ClusterLimit int
	// SweepMin is K of the sweep heuristic in the change rows
	// ([cluster.Overlay.SweepMin]). Optional; default
	// cluster.DefaultSweepMin.
	SweepMin int
	// NoTracing skips the tracing rows, which take minutes on a million
	// transactions. Optional; default false.
	NoTracing bool
}

// StandardChange is the change heuristic sets scored by default: each
// heuristic alone, then the combinations offered, then the sweep
// heuristic alone and with them.
var StandardChange = []cluster.Heuristics{
	cluster.ByType, cluster.ByRound, cluster.ByOptimal, cluster.ByFresh, cluster.ByFingerprint, cluster.ByPeel,
	cluster.AllHeuristics, cluster.AllHeuristics | cluster.Vote, cluster.Careful, cluster.Broad,
	cluster.BySweep, cluster.Custodial, cluster.Broad | cluster.BySweep,
}

// OracleRow names the row of a perfect change heuristic (see
// [changeOracle]).
const OracleRow = "multi-input+change-oracle"

// Row is the score of one heuristic combination.
type Row struct {
	Heuristics string `json:"heuristics"` // "multi-input", "multi-input+fresh"
	CoinJoins  string `json:"coinjoins"`  // how CoinJoins are treated
	Result
	// Reachable is recall against the pairs a perfect multi-input
	// heuristic would link: addresses of one entity connected by
	// transactions spending them together, CoinJoins excluded. For a
	// change row it can pass 1: change links what co-spending never does.
	Reachable Recall `json:"reachable"`
	// RefusedMerges are merges the cluster guard refused: the index's,
	// plus the overlay's for a change row.
	RefusedMerges uint64 `json:"refused_merges"`
	// ChangeOutputs is how many change outputs the heuristics named, and
	// ChangeMerges how many merges they made (change rows only).
	ChangeOutputs uint64 `json:"change_outputs,omitempty"`
	ChangeMerges  uint64 `json:"change_merges,omitempty"`
	// Sweeps is how many sweeps the sweep heuristic merged into how many
	// Collectors (rows with sweep only).
	Sweeps     uint64 `json:"sweeps,omitempty"`
	Collectors uint64 `json:"collectors,omitempty"`
	// Seconds is the time the row took: the pass over the chain and the
	// table (change rows only).
	Seconds float64 `json:"seconds,omitempty"`
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
	// ids and ents hold each indexed truth address's id and entity, to
	// score the change overlays.
	var ids, ents []uint32
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
		ids, ents = append(ids, a.ID), append(ents, entity)
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

	// overlayRow scores the clusters of a change overlay made since t0.
	// (The oracle's overlay has no limit and no sweeps: its refusals,
	// sweeps and collectors are zero.)
	overlayRow := func(name string, ov *cluster.Overlay, t0 time.Time) Row {
		tab := NewTable()
		for i, id := range ids {
			tab.Add(ov.Root(id), ents[i])
		}
		r := Row{
			Heuristics: name, CoinJoins: "excluded",
			Result:        tab.Result(func(e uint32) bool { return coSpenders[e] }),
			RefusedMerges: st.RefusedMerges + ov.Refused,
			ChangeOutputs: ov.Changes, ChangeMerges: ov.Merges,
			Sweeps: ov.Sweeps, Collectors: ov.Collectors,
		}
		r.ByKind = tab.RecallBy(func(e uint32) string { return kinds[e] })
		r.Reachable = row.Reachable
		r.Reachable.TruePositives = r.TruePositives
		r.Reachable.Recall = ratio(r.TruePositives, r.Reachable.TruePairs)
		r.Seconds = now().Sub(t0).Seconds()
		return r
	}
	sets := cfg.Change
	if sets == nil {
		sets = StandardChange
	}
	for _, h := range sets {
		log.Info("score change heuristics", "heuristics", h)
		t0 := now()
		ov := &cluster.Overlay{Heuristics: h, Limit: cfg.ClusterLimit, SweepMin: cfg.SweepMin}
		if err := cfg.Index.ChangeClusters(ctx, ov); err != nil {
			return rep, fmt.Errorf("score: change heuristics %s: %w", h, err)
		}
		rep.Clustering = append(rep.Clustering, overlayRow("multi-input+"+h.String(), ov, t0))
	}
	if len(sets) > 0 {
		log.Info("score change oracle")
		t0 := now()
		ov, err := changeOracle(ctx, cfg.Index, st.Txs, ids, ents)
		if err != nil {
			return rep, err
		}
		rep.Clustering = append(rep.Clustering, overlayRow(OracleRow, ov, t0))
	}
	if cfg.NoTracing {
		rep.Elapsed = now().Sub(start)
		return rep, nil
	}

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
		// "coinjoin" and "coinjoin-remix" (a Whirlpool round taking
		// post-mix coins again): both are many people signing together.
		if !strings.HasPrefix(behaviour, "coinjoin") {
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

// changeOracle is the ceiling of every change heuristic: multi-input
// clustering plus, in each transaction a change heuristic may judge (not a
// coinbase or CoinJoin, two or more outputs with addresses), a merge of
// every output the truth says belongs to the payer. No guard: it is a
// bound, not a method. ids and ents are the indexed truth addresses and
// their entities.
func changeOracle(ctx context.Context, ix Index, txs uint64, ids, ents []uint32) (*cluster.Overlay, error) {
	ov := &cluster.Overlay{Limit: -1}
	if err := ix.ChangeClusters(ctx, ov); err != nil {
		return nil, fmt.Errorf("score: change oracle: %w", err)
	}
	owner := make([]uint32, ov.Forest.Len()) // entity+1, 0 unknown
	for i, id := range ids {
		if int(id) < len(owner) {
			owner[id] = ents[i] + 1
		}
	}
	c := cluster.Clusterer{Sets: &ov.Forest, Limit: -1}
	var v cluster.Tx
	var addrs []uint32
	var vals []int64
	for t := range uint32(min(txs, uint64(^uint32(0)))) {
		if t%(1<<16) == 0 {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
		}
		if err := ix.TxView(t, &v); err != nil {
			return nil, fmt.Errorf("score: change oracle: %w", err)
		}
		addrs, vals = addrs[:0], vals[:0]
		outs := 0
		for _, in := range v.Ins {
			if in.Addr != cluster.NoAddress {
				addrs = append(addrs, in.Addr)
			}
		}
		for _, o := range v.Outs {
			vals = append(vals, o.Value)
			if o.Addr != cluster.NoAddress && o.Value > 0 {
				outs++
			}
		}
		if v.Coinbase || len(addrs) == 0 || outs < 2 || cluster.DetectCoinJoin(addrs, vals) != cluster.NotCoinJoin {
			continue
		}
		if int(addrs[0]) >= len(owner) || owner[addrs[0]] == 0 {
			continue
		}
		payer := owner[addrs[0]]
		for _, o := range v.Outs {
			if o.Addr != cluster.NoAddress && int(o.Addr) < len(owner) && owner[o.Addr] == payer {
				ov.Changes++
				if merged, _ := c.Union(addrs[0], o.Addr); merged {
					ov.Merges++
				}
			}
		}
	}
	return ov, nil
}
