package chainapi

import (
	"context"
	"maps"
	"net/http"
	"path/filepath"
	"testing"

	"github.com/entente/entente/internal/attrib"
	"github.com/entente/entente/internal/attrib/tagfile"
	"github.com/entente/entente/internal/chain"
	"github.com/entente/entente/internal/chainindex"
	"github.com/entente/entente/internal/trace"
)

// TestStopLabelsKept: the stop labels kept between requests equal labels
// made afresh, as the index grows under the node (tags naming addresses it
// did not have yet come to label them, clusters merge) and as tags are
// added.
func TestStopLabelsKept(t *testing.T) {
	e := newEnv(t)
	tagsJSON, all := e.tagPacks()
	e.ingest(8)
	if code, body := e.do(request{method: "POST", path: "/api/chain/tags", secret: e.analyst, ctype: "application/json", body: tagsJSON}); code != http.StatusOK {
		t.Fatalf("posting tags: %d %s", code, body)
	}
	h := e.h
	want := map[attrib.Category]bool{attrib.Exchange: true, attrib.Mixer: true}

	fresh := func(ix *chainindex.Index, tf *tagfile.File) trace.Labels {
		l := trace.Labels{}
		for id, tg := range attrib.Strongest(tf.All(), want, ix.LookupAddress) {
			l[id] = trace.Label{Entity: tg.Entity(), Category: string(tg.Category)}
		}
		cl, err := trace.ClusterLabels(ix, l)
		if err != nil {
			t.Fatal(err)
		}
		return cl
	}
	check := func(step string) int {
		t.Helper()
		var n int
		err := h.withIndex(context.Background(), func(ix *chainindex.Index, tf *tagfile.File) error {
			got, err := h.stopLabels(ix, tf, want)
			if err != nil {
				return err
			}
			w := fresh(ix, tf)
			gl, _ := got.(trace.Labels)
			if !maps.Equal(gl, w) {
				t.Errorf("%s: %d labels kept, %d made afresh, not the same", step, len(gl), len(w))
			}
			n = len(w)
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	before := check("8 blocks")
	e.ingest(-1)
	after := check("all blocks")
	if after <= before {
		t.Errorf("%d labels after all blocks, %d after 8: the test needs tags that only later blocks resolve", after, before)
	}
	// More tags: an address of the chain tagged as a mixer.
	net, _ := chain.ParseNetwork("mainnet")
	ix, err := chainindex.Open(context.Background(), chainindex.Config{Dir: filepath.Join(e.data, "chain"), Network: net, ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	tagged := map[string]bool{}
	for _, tg := range all {
		tagged[tg.Address] = true
	}
	var extra string
	for id := range uint32(1000) {
		if a, err := ix.AddressString(id); err == nil && !tagged[a] {
			extra = a
			break
		}
	}
	ix.Close()
	if extra == "" {
		t.Fatal("no untagged address to tag")
	}
	body := `[{"address":"` + extra + `","category":"mixer","label":"new mixer","source":"test","confidence":50}]`
	if code, b := e.do(request{method: "POST", path: "/api/chain/tags", secret: e.analyst, ctype: "application/json", body: body}); code != http.StatusOK {
		t.Fatalf("posting a tag: %d %s", code, b)
	}
	if n := check("one tag more"); n <= after {
		t.Errorf("%d labels after tagging one more address, %d before", n, after)
	}
	// A reorganisation undoes blocks: the ids past the fork go.
	w, err := chainindex.Open(context.Background(), chainindex.Config{Dir: filepath.Join(e.data, "chain"), Network: net})
	if err != nil {
		t.Fatal(err)
	}
	_, blocks := w.Tip()
	if err := w.Rewind(blocks - 20); err != nil {
		t.Fatal(err)
	}
	w.Close()
	if n := check("after undoing 20 blocks"); n >= after {
		t.Errorf("%d labels after undoing 20 blocks, %d before", n, after)
	}
}
