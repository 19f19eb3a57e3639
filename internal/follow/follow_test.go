package follow

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/btcsuite/btcd/blockchain"
	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/wire"
	"github.com/entente/entente/internal/btcrpc"
	"github.com/entente/entente/internal/btcrpc/fakenode"
	"github.com/entente/entente/internal/chain"
	"github.com/entente/entente/internal/chainindex"
	"github.com/entente/entente/internal/sim"
)

// memNode is a node in memory: a best chain of serialized blocks that a
// test can reorganise or take offline.
type memNode struct {
	mu      sync.Mutex
	chain   string
	blocks  [][]byte
	hashes  []chainhash.Hash
	offline bool
	calls   int
	// failAfter takes the node offline after that many calls (0: never).
	failAfter int
	// extra is how many blocks past its chain the node claims to have.
	extra int
}

func (n *memNode) set(blocks [][]byte) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.blocks, n.hashes = blocks, nil
	for _, b := range blocks {
		var blk chain.Block
		if err := blk.Parse(b); err != nil {
			panic(err)
		}
		n.hashes = append(n.hashes, blk.Hash())
	}
}

func (n *memNode) check() error {
	n.calls++
	if n.failAfter > 0 && n.calls > n.failAfter {
		n.offline = true
	}
	if n.offline {
		return &btcrpc.Error{Node: "mem", Method: "call", Err: fmt.Errorf("%w: connection refused", btcrpc.ErrUnreachable)}
	}
	return nil
}

func (n *memNode) ChainInfo(ctx context.Context) (btcrpc.ChainInfo, error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if err := n.check(); err != nil {
		return btcrpc.ChainInfo{}, err
	}
	return btcrpc.ChainInfo{Chain: n.chain, Blocks: int64(len(n.blocks)+n.extra) - 1}, nil
}

func (n *memNode) BlockHash(ctx context.Context, h int64) (chainhash.Hash, error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if err := n.check(); err != nil {
		return chainhash.Hash{}, err
	}
	if h < 0 || h >= int64(len(n.hashes)) {
		return chainhash.Hash{}, &btcrpc.Error{Node: "mem", Method: "getblockhash", Err: btcrpc.ErrNotFound}
	}
	return n.hashes[h], nil
}

func (n *memNode) Block(ctx context.Context, hash chainhash.Hash) ([]byte, error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if err := n.check(); err != nil {
		return nil, err
	}
	for i, h := range n.hashes {
		if h == hash {
			return n.blocks[i], nil
		}
	}
	return nil, &btcrpc.Error{Node: "mem", Method: "getblock", Err: btcrpc.ErrNotFound}
}

func simBlocks(t testing.TB, txs int) [][]byte {
	t.Helper()
	dir := t.TempDir()
	if _, err := sim.Generate(context.Background(), dir, sim.Config{Seed: 3, Txs: txs, TxsPerBlock: 100, Individuals: 300}); err != nil {
		t.Fatal(err)
	}
	blocks, err := fakenode.ReadBlocks(filepath.Join(dir, "blocks", "blk00000.dat"))
	if err != nil {
		t.Fatal(err)
	}
	return blocks
}

// fork returns a competing branch for blocks[from:]: n blocks holding
// only their coinbases, the first on top of blocks[from-1].
func fork(t testing.TB, blocks [][]byte, from, n int) [][]byte {
	t.Helper()
	var prev chain.Block
	if err := prev.Parse(blocks[from-1]); err != nil {
		t.Fatal(err)
	}
	prevHash := prev.Hash()
	var out [][]byte
	for i := range n {
		var mb wire.MsgBlock
		if err := mb.Deserialize(bytes.NewReader(blocks[min(from+i, len(blocks)-1)])); err != nil {
			t.Fatal(err)
		}
		mb.Transactions = mb.Transactions[:1]
		mb.Header.PrevBlock = prevHash
		mb.Header.Nonce ^= 0x5a5a5a5a
		mb.Header.MerkleRoot = blockchain.CalcMerkleRoot([]*btcutil.Tx{btcutil.NewTx(mb.Transactions[0])}, false)
		var buf bytes.Buffer
		if err := mb.Serialize(&buf); err != nil {
			t.Fatal(err)
		}
		out = append(out, buf.Bytes())
		prevHash = mb.BlockHash()
	}
	return out
}

func openIndex(t testing.TB, dir string) *chainindex.Index {
	t.Helper()
	net, _ := chain.ParseNetwork("mainnet")
	ix, err := chainindex.Open(context.Background(), chainindex.Config{Dir: dir, Network: net, CommitEvery: 10})
	if err != nil {
		t.Fatal(err)
	}
	return ix
}

// sameChain checks that the index holds exactly the node's best chain.
func sameChain(t *testing.T, ix *chainindex.Index, n *memNode) {
	t.Helper()
	_, have := ix.Tip()
	if int(have) != len(n.hashes) {
		t.Fatalf("index holds %d blocks, the node %d", have, len(n.hashes))
	}
	for h, want := range n.hashes {
		if got := ix.BlockHash(uint32(h)); got != want {
			t.Fatalf("height %d: index %s, node %s", h, got, want)
		}
	}
}

func TestFollowCatchesUpAndReorganises(t *testing.T) {
	blocks := simBlocks(t, 4_000)
	node := &memNode{chain: "main"}
	node.set(blocks[:len(blocks)-10])
	ix := openIndex(t, t.TempDir())
	defer ix.Close()
	cfg := Config{Index: ix, Node: node, Network: "mainnet", Once: true, Prefetch: 3}

	st, err := Follow(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	sameChain(t, ix, node)
	if st.Blocks != len(blocks)-10 || st.Reorgs != 0 {
		t.Fatalf("stats %+v", st)
	}

	// The node's chain grows.
	node.set(blocks)
	if _, err := Follow(context.Background(), cfg); err != nil {
		t.Fatal(err)
	}
	sameChain(t, ix, node)

	// A competing branch of 5 blocks replaces the last 3.
	from := len(blocks) - 3
	node.set(append(append([][]byte{}, blocks[:from]...), fork(t, blocks, from, 5)...))
	st, err = Follow(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	sameChain(t, ix, node)
	if st.Reorgs != 1 || st.Undone != 3 || st.Blocks != 5 {
		t.Fatalf("after a 3-block reorganisation: %+v", st)
	}

	// And back: the original chain, longer again, wins.
	node.set(blocks)
	node.blocks = append(node.blocks, fork(t, blocks, len(blocks), 1)...)
	node.set(node.blocks)
	if st, err = Follow(context.Background(), cfg); err != nil {
		t.Fatal(err)
	}
	sameChain(t, ix, node)
	if st.Undone != 5 {
		t.Fatalf("undid %d blocks, want 5", st.Undone)
	}
}

// TestFollowEqualsBlockFiles: following a node gives the same index as
// ingesting the same chain from block files.
func TestFollowEqualsBlockFiles(t *testing.T) {
	blocks := simBlocks(t, 3_000)
	node := &memNode{chain: "main"}
	node.set(blocks)
	a := openIndex(t, t.TempDir())
	defer a.Close()
	if _, err := Follow(context.Background(), Config{Index: a, Node: node, Once: true}); err != nil {
		t.Fatal(err)
	}
	b := openIndex(t, t.TempDir())
	defer b.Close()
	var blk chain.Block
	for _, raw := range blocks {
		blk.Parse(raw)
		if err := b.AddBlock(&blk); err != nil {
			t.Fatal(err)
		}
	}
	b.Commit()
	sa, _ := a.Stats()
	sb, _ := b.Stats()
	sa.Bytes, sb.Bytes, sa.BytesPerTx, sb.BytesPerTx = 0, 0, 0, 0
	if sa != sb {
		t.Fatalf("followed %+v\ningested %+v", sa, sb)
	}
}

// TestFollowNodeFaults: a node that drops out mid-way leaves every block
// indexed before it committed, and a later run resumes; a node on another
// network is refused.
func TestFollowNodeFaults(t *testing.T) {
	blocks := simBlocks(t, 3_000)
	dir := t.TempDir()
	node := &memNode{chain: "main", failAfter: 25}
	node.set(blocks)
	ix := openIndex(t, dir)
	_, err := Follow(context.Background(), Config{Index: ix, Node: node, Once: true, Prefetch: 1})
	if !errors.Is(err, btcrpc.ErrUnreachable) {
		t.Fatalf("node gone: %v, want ErrUnreachable", err)
	}
	_, have := ix.Tip()
	if have == 0 || int(have) >= len(blocks) {
		t.Fatalf("%d blocks indexed before the fault", have)
	}
	ix.Close()
	ix = openIndex(t, dir) // what was reported indexed was committed
	defer ix.Close()
	if _, again := ix.Tip(); again != have {
		t.Fatalf("%d blocks after reopening, %d before", again, have)
	}
	node.offline, node.failAfter = false, 0
	if _, err := Follow(context.Background(), Config{Index: ix, Node: node, Once: true}); err != nil {
		t.Fatal(err)
	}
	sameChain(t, ix, node)

	// A node whose chain does not hold together is an error, not a loop.
	broken := &memNode{chain: "main"}
	broken.set(append(append([][]byte{}, blocks[:len(blocks)-2]...), blocks[len(blocks)-1]))
	fresh := openIndex(t, t.TempDir())
	defer fresh.Close()
	_, err = Follow(context.Background(), Config{Index: fresh, Node: broken, Once: true})
	if err == nil || !bytes.Contains([]byte(err.Error()), []byte("does not connect")) {
		t.Fatalf("a node skipping a block: %v", err)
	}

	// A node claiming blocks it cannot serve ends a --once run with the
	// reason, after everything it could serve.
	claims := &memNode{chain: "main", extra: 2}
	claims.set(blocks[:5])
	short := openIndex(t, t.TempDir())
	defer short.Close()
	_, err = Follow(context.Background(), Config{Index: short, Node: claims, Once: true, Poll: time.Millisecond})
	if _, n := short.Tip(); err == nil || !strings.Contains(err.Error(), "does not serve") || n != 5 {
		t.Fatalf("a node claiming 2 blocks more: %v, %d blocks indexed", err, n)
	}

	other := &memNode{chain: "test"}
	other.set(blocks[:2])
	_, err = Follow(context.Background(), Config{Index: ix, Node: other, Network: "mainnet", Once: true})
	if err == nil || !bytes.Contains([]byte(err.Error()), []byte("testnet")) {
		t.Fatalf("node on testnet: %v", err)
	}
}

// TestFollowRetries: without Once an unreachable node is retried until it
// answers again, and following goes on without a restart.
func TestFollowRetries(t *testing.T) {
	blocks := simBlocks(t, 1_000)
	node := &memNode{chain: "main", failAfter: 4}
	node.set(blocks)
	ix := openIndex(t, t.TempDir())
	defer ix.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() {
		_, err := Follow(ctx, Config{Index: ix, Node: node, Poll: time.Millisecond, Retry: 2 * time.Millisecond})
		done <- err
	}()
	// Once the node has failed a few calls, bring it back; once it has
	// answered enough polls after that, stop following.
	revived := false
	tick := time.NewTicker(time.Millisecond)
	defer tick.Stop()
	for stop := false; !stop; {
		select {
		case err := <-done:
			t.Fatalf("Follow ended early: %v", err)
		case <-tick.C:
		}
		node.mu.Lock()
		if !revived && node.calls > 8 {
			node.offline, node.failAfter, node.calls, revived = false, 0, 0, true
		}
		stop = revived && node.calls > 2*len(blocks)+20
		node.mu.Unlock()
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	sameChain(t, ix, node)
}
