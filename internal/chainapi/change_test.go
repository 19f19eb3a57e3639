package chainapi

import (
	"context"
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"github.com/entente/entente/internal/attrib"
	"github.com/entente/entente/internal/chain"
	"github.com/entente/entente/internal/chainindex"
	"github.com/entente/entente/internal/cluster"
)

// directSize computes addr's cluster size under heuristics h straight from
// the index, as 'entente chain cluster --change' does.
func (e *env) directSize(addr, h string) uint32 {
	e.t.Helper()
	net, _ := chain.ParseNetwork("mainnet")
	ix, err := chainindex.Open(context.Background(), chainindex.Config{Dir: filepath.Join(e.data, "chain"), Network: net, ReadOnly: true})
	if err != nil {
		e.t.Fatal(err)
	}
	defer ix.Close()
	hs, err := cluster.ParseHeuristics(h)
	if err != nil {
		e.t.Fatal(err)
	}
	ov := &cluster.Overlay{Heuristics: hs}
	if err := ix.ChangeClusters(context.Background(), ov); err != nil {
		e.t.Fatal(err)
	}
	id, err := ix.LookupAddress(addr)
	if err != nil {
		e.t.Fatal(err)
	}
	return ov.Size(ov.Root(id))
}

// TestClusterChange: the cluster endpoint under change heuristics agrees
// with a pass over the index, also after the index grew (the cached
// overlay is brought up to date, not trusted stale), and refuses bad
// parameters.
func TestClusterChange(t *testing.T) {
	e := newEnv(t)
	e.ingest(15)
	_, tags := e.tagPacks()
	type answer struct {
		Size       uint32 `json:"size"`
		Heuristics string `json:"heuristics"`
		Members    []string
	}
	// An exchange address whose cluster the heuristics grow.
	var addr string
	var first answer
	for _, tg := range tags {
		if tg.Category != attrib.Exchange {
			continue
		}
		var plain, ch answer
		if code, _ := e.do(request{path: "/api/chain/cluster/" + tg.Address, secret: e.reader}); code != http.StatusOK {
			continue // not paid in the blocks indexed so far
		}
		e.get("/api/chain/cluster/"+tg.Address, &plain)
		e.get("/api/chain/cluster/"+tg.Address+"?change=broad&limit=100000", &ch)
		if ch.Size > plain.Size {
			addr, first = tg.Address, ch
			break
		}
	}
	if addr == "" {
		t.Fatal("no exchange address whose cluster change heuristics grow: nothing to test")
	}
	if want := e.directSize(addr, "broad"); first.Size != want || int(first.Size) != len(first.Members) {
		t.Fatalf("broad cluster: size %d with %d members, a pass over the index says %d", first.Size, len(first.Members), want)
	}
	var again answer
	e.ingest(-1)
	e.get("/api/chain/cluster/"+addr+"?change=broad", &again)
	if want := e.directSize(addr, "broad"); again.Size != want || again.Size < first.Size {
		t.Fatalf("after more blocks: size %d, a pass over the index says %d (before: %d)", again.Size, want, first.Size)
	}
	for _, c := range []struct{ q, want string }{
		{"change=magic", "change"},
		{"change=sweep&sweep_min=0", "sweep_min"},
		{"change=type&cluster_limit=x", "cluster_limit"},
	} {
		if code, body := e.do(request{path: "/api/chain/cluster/" + addr + "?" + c.q, secret: e.reader}); code != http.StatusBadRequest || !strings.Contains(string(body), c.want) {
			t.Errorf("%s: %d %s", c.q, code, body)
		}
	}
}
