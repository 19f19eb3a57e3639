package chainindex

import (
	"bufio"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/entente/entente/internal/cluster"
	"github.com/entente/entente/internal/sim"
)

// simChain generates a small synthetic economy with ground truth.
func simChain(t testing.TB, txs int) string {
	t.Helper()
	dir := t.TempDir()
	if _, err := sim.Generate(context.Background(), dir, sim.Config{Seed: 1, Txs: txs, TxsPerBlock: 200, Individuals: 1000}); err != nil {
		t.Fatal(err)
	}
	return dir
}

// simIndex indexes a synthetic chain of about txs transactions and
// returns the index, closed when the test ends, and the chain's directory
// (blocks/, truth/, tags/).
func simIndex(t testing.TB, txs int) (*Index, string) {
	t.Helper()
	chainDir := simChain(t, txs)
	ix := openIndex(t, t.TempDir(), nil)
	t.Cleanup(func() { ix.Close() })
	ingest(t, ix, filepath.Join(chainDir, "blocks"))
	return ix, chainDir
}

// truthEntities reads truth/addresses.csv: address -> entity id.
func truthEntities(t testing.TB, dir string) map[string]string {
	t.Helper()
	f, err := os.Open(filepath.Join(dir, "truth", "addresses.csv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	m := map[string]string{}
	sc := bufio.NewScanner(f)
	sc.Scan() // header
	for sc.Scan() {
		fields := strings.Split(sc.Text(), ",")
		if len(fields) < 2 {
			t.Fatalf("bad truth line %q", sc.Text())
		}
		m[fields[0]] = fields[1]
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return m
}

// TestSimClusteringPrecision checks the multi-input heuristic against the
// economy's ground truth. Pairwise precision is the share of address pairs
// put in one cluster that one entity owns, computed from cluster x entity
// counts: sum C(n_ce, 2) / sum C(n_c, 2).
func TestSimClusteringPrecision(t *testing.T) {
	chainDir := simChain(t, 20_000)
	truth := truthEntities(t, chainDir)
	ix := openIndex(t, t.TempDir(), func(c *Config) { c.CommitEvery = 25 })
	defer ix.Close()
	ingest(t, ix, filepath.Join(chainDir, "blocks"))
	st, err := ix.Stats()
	if err != nil {
		t.Fatal(err)
	}
	if st.Txs != 20_000 {
		t.Fatalf("indexed %d txs, want 20000", st.Txs)
	}
	txsCSV, err := os.ReadFile(filepath.Join(chainDir, "truth", "txs.csv"))
	if err != nil {
		t.Fatal(err)
	}
	// Every true CoinJoin is skipped (a few Whirlpool TX0s look like one too).
	if want := strings.Count(string(txsCSV), ",coinjoin,"); want == 0 || st.CoinJoins < uint64(want) {
		t.Errorf("%d CoinJoins skipped, the truth has %d", st.CoinJoins, want)
	}

	type cell struct {
		root   uint32
		entity string
	}
	perCell, perCluster := map[cell]int{}, map[uint32]int{}
	missing := 0
	err = ix.Roots(func(id, root uint32) {
		a, err := ix.AddressString(id)
		if err != nil {
			t.Fatal(err)
		}
		e, ok := truth[a]
		if !ok {
			missing++
			return
		}
		perCell[cell{root, e}]++
		perCluster[root]++
	})
	if err != nil {
		t.Fatal(err)
	}
	if missing > 0 {
		t.Errorf("%d indexed addresses are not in the truth", missing)
	}
	pairs := func(n int) float64 { return float64(n) * float64(n-1) / 2 }
	var same, all float64
	for _, n := range perCell {
		same += pairs(n)
	}
	for _, n := range perCluster {
		all += pairs(n)
	}
	if all == 0 {
		t.Fatal("no address was clustered")
	}
	precision := same / all
	t.Logf("%d addresses, %d clusters, %d coinjoins skipped, %.0f pairs merged, precision %.4f, %.1f bytes/tx",
		st.Addresses, st.Clusters, st.CoinJoins, all, precision, st.BytesPerTx)
	if precision < 0.99 {
		t.Errorf("pairwise precision %.4f, want >= 0.99", precision)
	}
	if st.Clusters >= st.Addresses {
		t.Errorf("%d clusters for %d addresses: nothing merged", st.Clusters, st.Addresses)
	}
}

// TestClusterGuard: with a tiny limit the guard refuses merges, records
// them with the transaction, and the records survive a reopen.
func TestClusterGuard(t *testing.T) {
	chainDir := simChain(t, 5_000)
	dir := t.TempDir()
	ix := openIndex(t, dir, func(c *Config) { c.ClusterLimit = 1 })
	ingest(t, ix, filepath.Join(chainDir, "blocks"))
	st, _ := ix.Stats()
	ix.Close()
	if st.RefusedMerges == 0 {
		t.Fatal("no merge refused with a limit of 1")
	}
	ro := openIndex(t, dir, func(c *Config) { c.ReadOnly = true })
	defer ro.Close()
	rs := ro.RefusedMerges(1 << 20)
	if uint64(len(rs)) != st.RefusedMerges {
		t.Fatalf("read %d refusals, stats say %d", len(rs), st.RefusedMerges)
	}
	for _, r := range rs {
		if r.SizeA <= 1 || r.SizeB <= 1 || r.Reason != cluster.ReasonSize || r.TxID == (chainhash.Hash{}) {
			t.Errorf("refusal %+v", r)
		}
		ra, _, _ := ro.ClusterOf(r.A)
		rb, _, _ := ro.ClusterOf(r.B)
		if ra == rb {
			t.Errorf("refused merge of %d and %d happened anyway", r.A, r.B)
		}
	}
}
