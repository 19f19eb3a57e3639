package chainapi

import (
	"encoding/csv"
	"encoding/json"
	"maps"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/entente/entente/internal/attrib"
	"github.com/entente/entente/internal/trace"
)

// TestExposure: a ransom address's exposure over the API reaches the
// exchange its money was cashed out at, agrees with the trace endpoint's
// entities for the same options, and bad parameters are answered 400.
func TestExposure(t *testing.T) {
	e := newEnv(t)
	e.ingest(-1)
	tagsJSON, tags := e.tagPacks()
	if code, body := e.do(request{method: "POST", path: "/api/chain/tags", secret: e.analyst, ctype: "application/json", body: tagsJSON}); code != http.StatusOK {
		t.Fatalf("post tags: %d %s", code, body)
	}
	var payment trace.Result
	e.get("/api/chain/trace?from="+e.ransomStart(), &payment)
	addr := payment.Start[0].Address
	if addr == "" {
		t.Fatalf("the ransom payment %s:%d has no address", payment.Start[0].TxID, payment.Start[0].Vout)
	}

	// The address an exchange paid on the way from it to the ransom (the
	// victim bought coins there): exposed to it directly, going backward.
	var back trace.Result
	e.get("/api/chain/trace?from="+e.ransomStart()+"&direction=backward&depth=50", &back)
	paid := ""
	for _, en := range back.Entities {
		if p := en.Paths[0].Hops; en.Category == "exchange" && len(p) >= 3 {
			paid = p[len(p)-2].Address
		}
	}
	if paid == "" {
		t.Fatalf("the ransom payment came from no exchange: %+v", back.Entities)
	}

	// An exchange's address: what reaches the exchange's own wallet is
	// its own, not exposure.
	var exchange attrib.Tag
	for _, tg := range tags {
		if tg.Category == attrib.Exchange {
			exchange = tg
			break
		}
	}

	for _, c := range []struct {
		addr, q string
		own     string // the entity the address belongs to
	}{
		{addr, "&depth=50", ""},
		{addr, "&policy=haircut&depth=50", ""},
		{addr, "&policy=poison&depth=3", ""},
		{paid, "&policy=lifo&stop_at=exchange", ""},
		{exchange.Address, "&depth=3&max_nodes=2000", exchange.Entity()},
	} {
		opts := c.addr + c.q
		var x exposureBody
		e.get("/api/chain/exposure?address="+opts, &x)
		if x.Address != c.addr || x.Cluster != nil || x.Starts < 1 {
			t.Errorf("%s: address %q, cluster %v, %d starts: want %s, none, at least 1", opts, x.Address, x.Cluster, x.Starts, c.addr)
		}
		for _, side := range []struct {
			dir string
			got trace.ExposureSide
		}{{"forward", x.Forward}, {"backward", x.Backward}} {
			var r trace.Result
			e.get("/api/chain/trace?from="+c.addr+"&direction="+side.dir+c.q, &r)
			direct, indirect := map[string]int64{}, map[string]int64{}
			var attributed, own int64
			for _, en := range r.Entities {
				attributed += en.Value
				if en.Entity == c.own {
					own += en.Value
					continue
				}
				if en.Direct > 0 {
					direct[en.Category] += en.Direct
				}
				if en.Value > en.Direct {
					indirect[en.Category] += en.Value - en.Direct
				}
			}
			g := side.got
			if !maps.Equal(g.Direct, direct) || !maps.Equal(g.Indirect, indirect) || g.Own != own {
				t.Errorf("%s %s: direct %v, indirect %v, own %d; the trace's entities sum to %v, %v, %d",
					opts, side.dir, g.Direct, g.Indirect, g.Own, direct, indirect, own)
			}
			sum := g.Own
			for _, v := range g.Direct {
				sum += v
			}
			for _, v := range g.Indirect {
				sum += v
			}
			if sum != attributed || g.Attributed != r.Attributed || sum != g.Attributed {
				t.Errorf("%s %s: direct+indirect+own %d, attributed %d; the trace attributed %d, its entities %d",
					opts, side.dir, sum, g.Attributed, r.Attributed, attributed)
			}
			if g.Total != r.Total || g.Stopped != r.Stopped || g.Unspent != r.Unspent || g.Truncated != r.Truncated {
				t.Errorf("%s %s: total %d, stopped %d, unspent %d, truncated %v; the trace's %d, %d, %d, %v",
					opts, side.dir, g.Total, g.Stopped, g.Unspent, g.Truncated, r.Total, r.Stopped, r.Unspent, r.Truncated)
			}
		}
		if c.addr == addr && c.q == "&depth=50" && x.Forward.Direct["exchange"]+x.Forward.Indirect["exchange"] <= 0 {
			t.Errorf("%s: forward exposure %+v: nothing to an exchange", opts, x.Forward)
		}
		if c.addr == paid && x.Backward.Direct["exchange"] <= 0 {
			t.Errorf("%s: backward exposure %+v: nothing directly from an exchange", opts, x.Backward)
		}
		if c.own != "" && x.Forward.Own <= 0 {
			t.Errorf("%s: forward exposure %+v: nothing back to %s's own wallet", opts, x.Forward, c.own)
		}
	}

	// A cluster's exposure starts from every member's outputs: that of a
	// ransom address whose operator spent it together with another.
	var one, all exposureBody
	for _, start := range e.ransomStarts() {
		var p trace.Result
		e.get("/api/chain/trace?from="+start+"&depth=1", &p)
		e.get("/api/chain/exposure?address="+p.Start[0].Address+"&cluster=true", &all)
		if all.Cluster != nil && all.Cluster.Size >= 2 {
			e.get("/api/chain/exposure?address="+p.Start[0].Address, &one)
			break
		}
	}
	if all.Cluster == nil || all.Cluster.Size < 2 {
		t.Fatal("no ransom address is in a cluster of two or more")
	}
	if all.Starts <= one.Starts || all.Forward.Total <= one.Forward.Total || all.Backward.Total != all.Forward.Total {
		t.Errorf("cluster of %d: %d starts, %d sat forward, %d backward; want more than its member's %d starts, %d sat, the same both ways",
			all.Cluster.Size, all.Starts, all.Forward.Total, all.Backward.Total, one.Starts, one.Forward.Total)
	}
	clustered := all.Address
	small := strconv.Itoa(int(all.Cluster.Size) - 1)

	tests := []struct {
		name     string
		path     string
		secret   string
		want     int
		contains string
	}{
		{"no credentials", "/api/chain/exposure?address=" + addr, "", 401, ""},
		{"no address", "/api/chain/exposure", e.reader, 400, "address is required"},
		{"malformed address", "/api/chain/exposure?address=notanaddress", e.reader, 400, "not an address"},
		{"unknown address", "/api/chain/exposure?address=" + unknownAddr, e.reader, 404, "not found"},
		{"bad policy", "/api/chain/exposure?address=" + addr + "&policy=magic", e.reader, 400, "policy"},
		{"depth 0", "/api/chain/exposure?address=" + addr + "&depth=0", e.reader, 400, "depth"},
		{"depth too deep", "/api/chain/exposure?address=" + addr + "&depth=1001", e.reader, 400, "depth"},
		{"bad max_nodes", "/api/chain/exposure?address=" + addr + "&max_nodes=x", e.reader, 400, "max_nodes"},
		{"max_nodes over the API's bound", "/api/chain/exposure?address=" + addr + "&max_nodes=1000001", e.reader, 400, "max_nodes"},
		{"bad cluster", "/api/chain/exposure?address=" + addr + "&cluster=maybe", e.reader, 400, "cluster"},
		{"bad max_members", "/api/chain/exposure?address=" + addr + "&cluster=true&max_members=0", e.reader, 400, "max_members"},
		{"bad stop_at", "/api/chain/exposure?address=" + addr + "&stop_at=banks", e.reader, 400, "stop_at"},
		{"cluster over max_members", "/api/chain/exposure?address=" + clustered + "&cluster=true&max_members=" + small, e.reader, 422, "more than max_members=" + small},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, body := e.do(request{path: tt.path, secret: tt.secret})
			if code != tt.want {
				t.Fatalf("status %d, want %d: %.300s", code, tt.want, body)
			}
			if !strings.Contains(string(body), tt.contains) {
				t.Errorf("body does not contain %q: %.500s", tt.contains, body)
			}
		})
	}
}

// ransomStarts lists the economy's ransom payments as txid:vout.
func (e *env) ransomStarts() []string {
	e.t.Helper()
	f, err := os.Open(filepath.Join(e.economy, "truth", "ransom_payments.csv"))
	if err != nil {
		e.t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		e.t.Fatal(err)
	}
	var starts []string
	for _, r := range rows[1:] {
		starts = append(starts, r[3]+":"+r[4])
	}
	return starts
}

// get asks for path as the reader and decodes the 200 answer into v.
func (e *env) get(path string, v any) {
	e.t.Helper()
	code, body := e.do(request{path: path, secret: e.reader})
	if code != http.StatusOK {
		e.t.Fatalf("%s: %d %.300s", path, code, body)
	}
	if err := json.Unmarshal(body, v); err != nil {
		e.t.Fatalf("%s: %v", path, err)
	}
}
