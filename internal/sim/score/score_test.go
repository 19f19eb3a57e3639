package score

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/btcsuite/btcd/chaincfg"
	"github.com/entente/entente/internal/chain"
	"github.com/entente/entente/internal/chainindex"
	"github.com/entente/entente/internal/cluster"
	"github.com/entente/entente/internal/sim"
)

// economy generates a small economy and ingests it into a real index.
func economy(t *testing.T, seed uint64, txs int) (truth string, ix *chainindex.Index) {
	t.Helper()
	ctx := context.Background()
	truth = t.TempDir()
	if _, err := sim.Generate(ctx, truth, sim.Config{Seed: seed, Txs: txs, TxsPerBlock: 200, Individuals: 1000, Network: &chaincfg.MainNetParams}); err != nil {
		t.Fatal(err)
	}
	net, err := chain.ParseNetwork("mainnet")
	if err != nil {
		t.Fatal(err)
	}
	ix, err = chainindex.Open(ctx, chainindex.Config{Dir: t.TempDir(), Network: net, CommitEvery: 50})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ix.Close() })
	src, err := chainindex.OpenSource(filepath.Join(truth, "blocks"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ix.Ingest(ctx, src); err != nil {
		t.Fatal(err)
	}
	return truth, ix
}

// TestScoreEconomy scores the multi-input heuristic on a generated
// economy end to end.
func TestScoreEconomy(t *testing.T) {
	truth, ix := economy(t, 7, 20_000)
	rep, err := Score(context.Background(), Config{Truth: truth, Index: ix})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Clustering) != 2+len(StandardChange) || rep.Clustering[0].Heuristics != "multi-input" {
		t.Fatalf("rows %+v, want multi-input, a row per standard change set and the oracle", rep.Clustering)
	}
	r := rep.Clustering[0]
	checkChangeRows(t, rep)
	t.Logf("%+v", rep)
	st, _ := ix.Stats()
	checks := []struct {
		name string
		ok   bool
	}{
		{"precision >= 0.99", r.Precision >= 0.99},
		{"some pairs merged", r.PredictedPairs > 0 && r.TruePositives > 0},
		{"recall within (0, 1]", r.Recall > 0 && r.Recall <= 1},
		{"co-spending recall >= plain recall", r.CoSpending.Recall >= r.Recall},
		{"reachable recall >= co-spending recall", r.Reachable.Recall >= r.CoSpending.Recall},
		{"reachable recall >= 0.9", r.Reachable.Recall >= 0.9},
		{"every indexed address scored", r.Addresses == rep.IndexedAddresses && rep.IndexedAddresses == st.Addresses},
		{"truth has more addresses than the index", rep.TruthAddresses >= rep.IndexedAddresses},
		{"recall by kind has exchanges and individuals", r.ByKind["exchange"].TruePairs > 0 && r.ByKind["individual"].TruePairs > 0},
		{"CoinJoins in the truth", rep.TruthCoinJoins > 0 && rep.CoinJoinsSkipped >= rep.TruthCoinJoins},
	}
	for _, c := range checks {
		if !c.ok {
			t.Errorf("%s: not so in %+v", c.name, r)
		}
	}

	if len(rep.Tracing) != 4 {
		t.Fatalf("%d tracing rows, want one per policy", len(rep.Tracing))
	}
	for i, want := range []string{"fifo", "lifo", "haircut", "poison"} {
		tr := rep.Tracing[i]
		t.Logf("%+v", tr)
		if tr.Policy != want || tr.Depth != DefaultTraceDepth || tr.Payments == 0 || tr.Value != rep.Tracing[0].Value {
			t.Errorf("row %d: %+v, want %s at depth %d over the same payments", i, tr, want, DefaultTraceDepth)
		}
		if tr.Right+tr.Wrong+tr.Unattributed < tr.Value || tr.PerIncident.RightMin > tr.PerIncident.RightMedian {
			t.Errorf("%s: parts do not add up: %+v", tr.Policy, tr)
		}
	}
	if fifo := rep.Tracing[0]; fifo.RightShare < minFIFOShare || fifo.WrongShare > maxFIFOWrong {
		t.Errorf("FIFO: %.3f of ransom value to the right exchanges, %.3f to others; want >= %.2f and <= %.2f",
			fifo.RightShare, fifo.WrongShare, minFIFOShare, maxFIFOWrong)
	}
}

// checkChangeRows checks the change heuristic rows against the multi-input
// row: an overlay only adds merges to the index's clusters, and no
// heuristic without a false merge finds more than the oracle.
func checkChangeRows(t *testing.T, rep Report) {
	t.Helper()
	multi, oracle := rep.Clustering[0], rep.Clustering[len(rep.Clustering)-1]
	if oracle.Heuristics != OracleRow || oracle.Precision != 1 || oracle.TruePositives <= multi.TruePositives {
		t.Errorf("oracle row %+v, want precision 1 and more pairs than multi-input's %d", oracle, multi.TruePositives)
	}
	for i, h := range StandardChange {
		r := rep.Clustering[1+i]
		t.Logf("%s: precision %.4f recall %.4f, %d change outputs, %d false merges, %d refused",
			r.Heuristics, r.Precision, r.Recall, r.ChangeOutputs, r.FalseMerges.Clusters, r.RefusedMerges)
		if r.Heuristics != "multi-input+"+h.String() {
			t.Errorf("row %d is %q, want multi-input+%s", 1+i, r.Heuristics, h)
		}
		if r.Addresses != multi.Addresses || r.TruePositives < multi.TruePositives || r.Clusters > multi.Clusters {
			t.Errorf("%s: %d addresses, %d true pairs in %d clusters; multi-input alone had %d, %d, %d",
				r.Heuristics, r.Addresses, r.TruePositives, r.Clusters, multi.Addresses, multi.TruePositives, multi.Clusters)
		}
		if h&cluster.AllHeuristics != 0 && r.ChangeOutputs == 0 {
			t.Errorf("%s named no change output", r.Heuristics)
		}
		if h&cluster.BySweep != 0 {
			// The oracle judges no one-output transaction: sweep rows
			// pass it. Each merges sweeps into the services' collectors.
			if r.Sweeps == 0 || r.Collectors == 0 || r.ByKind["exchange"].Recall < minSweepExchangeRecall {
				t.Errorf("%s: %d sweeps into %d collectors, exchange recall %.4f, want some and >= %.2f",
					r.Heuristics, r.Sweeps, r.Collectors, r.ByKind["exchange"].Recall, minSweepExchangeRecall)
			}
			continue
		}
		if r.Sweeps != 0 {
			t.Errorf("%s merged %d sweeps without the sweep heuristic", r.Heuristics, r.Sweeps)
		}
		// Without a false merge every merge joined a payer's own
		// addresses, which the oracle joins too.
		if r.FalseMerges.Clusters == 0 && r.TruePositives > oracle.TruePositives {
			t.Errorf("%s: %d true pairs, more than the oracle's %d", r.Heuristics, r.TruePositives, oracle.TruePositives)
		}
	}
	for i, h := range StandardChange {
		if r := rep.Clustering[1+i]; (h == cluster.Careful || h == cluster.Custodial) && r.Precision < minCarefulPrecision {
			t.Errorf("%s: precision %.4f, want >= %.2f", r.Heuristics, r.Precision, minCarefulPrecision)
		}
	}
}

// A floor below the exchanges' recall with the sweep heuristic alone on
// 20,000 transactions of seed 7 (measured 0.78; multi-input alone 0.018).
const minSweepExchangeRecall = 0.7

// The careful and custodial sets made no false merge on the
// million-transaction economies of seeds 1 and 2; on 20,000 transactions
// of seed 7 they must stay at the precision target.
const minCarefulPrecision = 0.99

// Floors a little below what FIFO reaches on the economy of seed 7 at
// 20,000 transactions (measured: 76.4% right, 3.6% wrong).
const (
	minFIFOShare = 0.72
	maxFIFOWrong = 0.06
)

func TestScoreErrors(t *testing.T) {
	truth, ix := economy(t, 3, 1_000)
	other, _ := economy(t, 4, 1_000)
	bad := t.TempDir()
	os.MkdirAll(filepath.Join(bad, "truth"), 0o755)
	os.WriteFile(filepath.Join(bad, "truth", "txs.csv"), []byte("txid,height,behaviour,entity_id\n"), 0o644)
	os.WriteFile(filepath.Join(bad, "truth", "entities.csv"), []byte("entity_id,kind,name\n1,founder,F\n"), 0o644)
	os.WriteFile(filepath.Join(bad, "truth", "addresses.csv"), []byte("address,entity_id\n1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa,x\n"), 0o644)
	tests := []struct {
		name    string
		cfg     Config
		wantIs  error
		wantMsg string
	}{
		{name: "no truth dir", cfg: Config{Truth: t.TempDir(), Index: ix}, wantIs: os.ErrNotExist},
		{name: "bad truth", cfg: Config{Truth: bad, Index: ix}, wantIs: ErrTruth},
		{name: "another economy", cfg: Config{Truth: other, Index: ix}, wantMsg: "truth addresses is in the index"},
		{name: "missing index", cfg: Config{Truth: truth}, wantMsg: "required"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Score(context.Background(), tt.cfg)
			if err == nil {
				t.Fatal("no error")
			}
			if tt.wantIs != nil && !errors.Is(err, tt.wantIs) {
				t.Errorf("err %v, want %v", err, tt.wantIs)
			}
			if tt.wantMsg != "" && !strings.Contains(err.Error(), tt.wantMsg) {
				t.Errorf("err %v, want %q", err, tt.wantMsg)
			}
		})
	}
}
