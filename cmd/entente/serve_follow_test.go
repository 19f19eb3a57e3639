package main

import (
	"context"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/entente/entente/internal/btcrpc/fakenode"
	"github.com/entente/entente/internal/chain"
	"github.com/entente/entente/internal/chainindex"
	"github.com/entente/entente/internal/sim"
)

// TestServeFollowsNode: "serve --rpc" indexes a node's chain while it
// serves, picks up a block that arrives later, keeps the password out of
// its log, and leaves the index committed when it stops.
func TestServeFollowsNode(t *testing.T) {
	economy := t.TempDir()
	if _, err := sim.Generate(context.Background(), economy, sim.Config{Seed: 9, Txs: 1500, TxsPerBlock: 100, Individuals: 100}); err != nil {
		t.Fatal(err)
	}
	blocks, err := fakenode.ReadBlocks(filepath.Join(economy, "blocks", "blk00000.dat"))
	if err != nil {
		t.Fatal(err)
	}
	node, err := fakenode.Start("main", "u", "s3cret", blocks[:len(blocks)-1])
	if err != nil {
		t.Fatal(err)
	}
	defer node.Close()

	dir := t.TempDir()
	url := strings.Replace(node.URL, "http://", "http://u:s3cret@", 1)
	args := []string{"serve", "--data", dir, "--listen", "127.0.0.1:0", "--log-format", "json", "--rpc", url, "--poll", "100ms"}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var stdout, stderr syncBuffer
	done := make(chan error, 1)
	var exited atomic.Bool
	go func() {
		err := Run(ctx, args, strings.NewReader(""), &stdout, &stderr)
		exited.Store(true)
		done <- err
	}()
	waitFor(t, stderr.String, bannerRE, exited.Load)
	last := regexp.MustCompile(`"msg":"block","height":` + itoa(len(blocks)-2) + `,`)
	waitFor(t, stderr.String, last, exited.Load)
	// A new block on the node reaches the index within a poll or two.
	if err := node.SetBlocks(blocks); err != nil {
		t.Fatal(err)
	}
	waitFor(t, stderr.String, regexp.MustCompile(`"msg":"block","height":`+itoa(len(blocks)-1)+`,`), exited.Load)
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("serve: %v\n%s", err, stderr.String())
		}
	case <-time.After(20 * time.Second):
		t.Fatal("serve did not stop")
	}
	if strings.Contains(stderr.String(), "s3cret") {
		t.Error("the node's password is in the log")
	}
	net, _ := chain.ParseNetwork("mainnet")
	ix, err := chainindex.Open(context.Background(), chainindex.Config{Dir: filepath.Join(dir, "chain"), Network: net, ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer ix.Close()
	if _, n := ix.Tip(); int(n) != len(blocks) {
		t.Fatalf("index holds %d blocks after serve stopped, the node %d", n, len(blocks))
	}
}

func itoa(n int) string { return strconv.Itoa(n) }
