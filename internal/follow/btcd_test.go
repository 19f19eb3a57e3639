package follow

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/chaincfg"
	"github.com/btcsuite/btcd/integration/rpctest"
	"github.com/btcsuite/btcd/txscript"
	"github.com/btcsuite/btcd/wire"
	"github.com/entente/entente/internal/btcrpc"
	"github.com/entente/entente/internal/chain"
	"github.com/entente/entente/internal/chainindex"
)

// btcdVersion is the btcd the integration test runs: the one go.mod
// requires for its wire package.
const btcdVersion = "v0.24.2"

// buildBtcd installs btcd from the Go module proxy into a temporary
// directory (the build cache makes later runs quick).
func buildBtcd(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	cmd := exec.Command("go", "install", "github.com/btcsuite/btcd@"+btcdVersion)
	cmd.Env = append(os.Environ(), "GOBIN="+dir, "GOFLAGS=-mod=mod")
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("building btcd %s: %v\n%s", btcdVersion, err, out)
	}
	return filepath.Join(dir, "btcd")
}

// TestFollowBtcd follows a real btcd on simnet, driven by btcd's own
// integration harness and its in-memory wallet: multi-input spends with
// change, then a reorganisation made with invalidateblock. The index must
// hold exactly the node's best chain, and every transaction's input
// addresses one cluster.
func TestFollowBtcd(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs btcd")
	}
	h, err := rpctest.New(&chaincfg.SimNetParams, nil, []string{"--txindex"}, buildBtcd(t))
	if err != nil {
		t.Fatal(err)
	}
	if err := h.SetUp(true, 25); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h.TearDown() })

	// Three outputs to fresh wallet addresses, then a spend of nearly the
	// whole balance: it must gather coins of several addresses.
	for range 3 {
		pay(t, h, 30*btcutil.SatoshiPerBitcoin)
	}
	mine(t, h, 1)
	pay(t, h, int64(h.ConfirmedBalance())-2*btcutil.SatoshiPerBitcoin)
	mine(t, h, 1)

	rc := h.RPCConfig()
	node, err := btcrpc.New(btcrpc.Config{URL: "https://" + rc.Host, User: rc.User, Password: rc.Pass, CA: rc.Certificates})
	if err != nil {
		t.Fatal(err)
	}
	net, err := chain.ParseNetwork("simnet")
	if err != nil {
		t.Fatal(err)
	}
	ix, err := chainindex.Open(context.Background(), chainindex.Config{Dir: t.TempDir(), Network: net})
	if err != nil {
		t.Fatal(err)
	}
	defer ix.Close()
	cfg := Config{Index: ix, Node: node, Network: "simnet", Once: true}
	if _, err := Follow(context.Background(), cfg); err != nil {
		t.Fatal(err)
	}
	multi := checkAgainstNode(t, h, ix)
	t.Logf("%d transactions spent coins of two or more addresses", multi)
	if multi == 0 {
		t.Fatal("no transaction spent coins of two addresses: nothing clustered")
	}

	// Reorganise: invalidate the last two blocks and mine three others.
	_, best, err := h.Client.GetBestBlock()
	if err != nil {
		t.Fatal(err)
	}
	at, err := h.Client.GetBlockHash(int64(best - 1))
	if err != nil {
		t.Fatal(err)
	}
	if err := h.Client.InvalidateBlock(at); err != nil {
		t.Fatal(err)
	}
	// Three competing blocks, timestamped apart from the invalidated ones
	// so none can come out identical.
	for i := range 3 {
		if _, err := h.GenerateAndSubmitBlock(nil, -1, time.Now().Add(time.Duration(10+i)*time.Minute)); err != nil {
			t.Fatal(err)
		}
	}
	st, err := Follow(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if st.Reorgs != 1 || st.Undone != 2 || st.Blocks != 3 {
		t.Fatalf("following a 2-block reorganisation: %+v", st)
	}
	checkAgainstNode(t, h, ix)
}

func pay(t *testing.T, h *rpctest.Harness, amount int64) {
	t.Helper()
	addr, err := h.NewAddress()
	if err != nil {
		t.Fatal(err)
	}
	script, err := txscript.PayToAddrScript(addr)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := h.SendOutputs([]*wire.TxOut{wire.NewTxOut(amount, script)}, 10); err != nil {
		t.Fatal(err)
	}
}

// mine mines n blocks and waits for the harness wallet to see them: each
// matures a coinbase, so its confirmed balance changes.
func mine(t *testing.T, h *rpctest.Harness, n uint32) {
	t.Helper()
	before := h.ConfirmedBalance()
	if _, err := h.Client.Generate(n); err != nil {
		t.Fatal(err)
	}
	waitBalance(t, h, before)
}

// waitBalance waits for the harness wallet's confirmed balance to move
// from before: it has seen the blocks connected or disconnected.
func waitBalance(t *testing.T, h *rpctest.Harness, before btcutil.Amount) {
	t.Helper()
	for range 1000 {
		if h.ConfirmedBalance() != before {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatal("the harness wallet did not see the chain change")
}

// checkAgainstNode compares the index with the node block by block and
// checks that the input addresses of each transaction share a cluster. It
// returns how many transactions spent coins of two or more addresses.
func checkAgainstNode(t *testing.T, h *rpctest.Harness, ix *chainindex.Index) int {
	t.Helper()
	_, best, err := h.Client.GetBestBlock()
	if err != nil {
		t.Fatal(err)
	}
	if _, have := ix.Tip(); int64(have) != int64(best)+1 {
		t.Fatalf("index holds %d blocks, the node's best is height %d", have, best)
	}
	txs, multi := 0, 0
	for height := range int64(best) + 1 {
		hash, err := h.Client.GetBlockHash(height)
		if err != nil {
			t.Fatal(err)
		}
		if got := ix.BlockHash(uint32(height)); got != *hash {
			t.Fatalf("height %d: index %s, node %s", height, got, hash)
		}
		blk, err := h.Client.GetBlock(hash)
		if err != nil {
			t.Fatal(err)
		}
		txs += len(blk.Transactions)
		for _, tx := range blk.Transactions[1:] {
			roots := map[uint32]bool{}
			addrs := map[string]bool{}
			for _, in := range tx.TxIn {
				a := spentAddress(t, h, in.PreviousOutPoint)
				if a == "" {
					continue
				}
				addrs[a] = true
				id, err := ix.LookupAddress(a)
				if err != nil {
					t.Fatalf("input address %s of %s: %v", a, tx.TxHash(), err)
				}
				root, _, err := ix.ClusterOf(id)
				if err != nil {
					t.Fatal(err)
				}
				roots[root] = true
			}
			if len(roots) > 1 {
				t.Errorf("tx %s: its %d input addresses are in %d clusters", tx.TxHash(), len(addrs), len(roots))
			}
			if len(addrs) > 1 {
				multi++
			}
		}
	}
	st, err := ix.Stats()
	if err != nil {
		t.Fatal(err)
	}
	if st.Txs != uint64(txs) {
		t.Fatalf("index holds %d transactions, the node's chain %d", st.Txs, txs)
	}
	return multi
}

// spentAddress returns the address of the output op, as the index would
// encode it, or "" for a script without one.
func spentAddress(t *testing.T, h *rpctest.Harness, op wire.OutPoint) string {
	t.Helper()
	tx, err := h.Client.GetRawTransaction(&op.Hash)
	if err != nil {
		t.Fatalf("getrawtransaction %s: %v", op.Hash, err)
	}
	pk := tx.MsgTx().TxOut[op.Index].PkScript
	_, addrs, _, err := txscript.ExtractPkScriptAddrs(pk, &chaincfg.SimNetParams)
	if err != nil || len(addrs) != 1 {
		return ""
	}
	return addrs[0].EncodeAddress()
}
