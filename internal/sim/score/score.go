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
	"time"

	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/entente/entente/internal/chainindex"
)

// Index is what scoring reads of a chain index.
type Index interface {
	AddressInfo(addr string, limit int) (chainindex.Address, error)
	Stats() (chainindex.Stats, error)
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
	Tracing          string        `json:"tracing"`
	Elapsed          time.Duration `json:"elapsed_ns"`
}

// TracingNote is the Tracing field until the engine has a tracer.
const TracingNote = "not scored: the engine has no tracer yet"

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
	start := now()
	rep := Report{Tracing: TracingNote}

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
	rep.Elapsed = now().Sub(start)
	return rep, nil
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
