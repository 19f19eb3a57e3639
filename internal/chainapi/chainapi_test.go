package chainapi

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/binary"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/entente/entente/internal/attrib"
	"github.com/entente/entente/internal/auth"
	"github.com/entente/entente/internal/chain"
	"github.com/entente/entente/internal/chainindex"
	"github.com/entente/entente/internal/sim"
	"github.com/entente/entente/internal/store/sqlite"
)

// env is a node's chain API over real HTTPS with a real SQLite store and a
// real index of a small synthetic economy.
type env struct {
	t       *testing.T
	data    string // the node's data directory
	economy string // sim output: blocks/, truth/, tags/
	srv     *httptest.Server
	h       *Handler
	reader  string // token secrets
	analyst string
}

func newEnv(t *testing.T) *env {
	t.Helper()
	ctx := context.Background()
	e := &env{t: t, data: t.TempDir(), economy: t.TempDir()}
	if _, err := sim.Generate(ctx, e.economy, sim.Config{Seed: 5, Txs: 3000, TxsPerBlock: 100, Individuals: 200}); err != nil {
		t.Fatal(err)
	}
	st, err := sqlite.Open(ctx, sqlite.Config{Path: filepath.Join(e.data, "entente.db")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	now := time.Now()
	if err := st.CreateOrg(ctx, auth.Org{Name: "unit", Kind: auth.KindMember, Created: now}); err != nil {
		t.Fatal(err)
	}
	for _, u := range []struct {
		name   string
		role   auth.Role
		secret *string
	}{{"rita", auth.RoleReader, &e.reader}, {"ana", auth.RoleAnalyst, &e.analyst}} {
		if err := st.CreateUser(ctx, auth.User{Name: u.name, Org: "unit", Role: u.role, Created: now}); err != nil {
			t.Fatal(err)
		}
		secret, tok, err := auth.NewToken(nil, u.name, now, 0)
		if err != nil {
			t.Fatal(err)
		}
		if err := st.CreateToken(ctx, tok); err != nil {
			t.Fatal(err)
		}
		*u.secret = secret
	}
	h, err := New(Config{Dir: e.data, Store: st, MaxBodyBytes: 1 << 20})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h.Close() })
	e.h = h
	e.srv = httptest.NewUnstartedServer(h)
	e.srv.TLS = &tls.Config{MinVersion: tls.VersionTLS13}
	e.srv.StartTLS()
	t.Cleanup(e.srv.Close)
	return e
}

// ingest indexes the economy's first n blocks (all when n < 0), as
// 'entente chain ingest' does from another process.
func (e *env) ingest(n int) {
	e.t.Helper()
	blk, err := os.ReadFile(filepath.Join(e.economy, "blocks", "blk00000.dat"))
	if err != nil {
		e.t.Fatal(err)
	}
	if n >= 0 {
		off := 0
		for range n {
			off += 8 + int(binary.LittleEndian.Uint32(blk[off+4:]))
		}
		blk = blk[:off]
	}
	src := filepath.Join(e.t.TempDir(), "blk00000.dat")
	if err := os.WriteFile(src, blk, 0o644); err != nil {
		e.t.Fatal(err)
	}
	net, _ := chain.ParseNetwork("mainnet")
	ix, err := chainindex.Open(context.Background(), chainindex.Config{Dir: filepath.Join(e.data, "chain"), Network: net})
	if err != nil {
		e.t.Fatal(err)
	}
	s, err := chainindex.OpenSource(src)
	if err != nil {
		e.t.Fatal(err)
	}
	if _, err := ix.Ingest(context.Background(), s); err != nil {
		e.t.Fatal(err)
	}
	if err := ix.Close(); err != nil {
		e.t.Fatal(err)
	}
}

type request struct {
	method, path string
	user, secret string // user "" with a secret: Bearer
	ctype        string
	body         string
}

func (e *env) do(r request) (int, []byte) {
	e.t.Helper()
	req, err := http.NewRequest(cmpOr(r.method, "GET"), e.srv.URL+r.path, strings.NewReader(r.body))
	if err != nil {
		e.t.Fatal(err)
	}
	switch {
	case r.user != "":
		req.SetBasicAuth(r.user, r.secret)
	case r.secret != "":
		req.Header.Set("Authorization", "Bearer "+r.secret)
	}
	if r.ctype != "" {
		req.Header.Set("Content-Type", r.ctype)
	}
	resp, err := e.srv.Client().Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.TLS == nil || resp.TLS.Version != tls.VersionTLS13 {
		e.t.Fatalf("%s: not TLS 1.3", r.path)
	}
	var buf bytes.Buffer
	if _, err := buf.ReadFrom(resp.Body); err != nil {
		e.t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		var eb errorBody
		if err := json.Unmarshal(buf.Bytes(), &eb); err != nil || eb.Title == "" || eb.HTTPStatus != strconv.Itoa(resp.StatusCode) {
			e.t.Errorf("%s %s: %d with a body that is not an error resource: %s", r.method, r.path, resp.StatusCode, buf.Bytes())
		}
	}
	return resp.StatusCode, buf.Bytes()
}

func cmpOr(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// height asks the API for the index's height.
func (e *env) height() int64 {
	e.t.Helper()
	code, body := e.do(request{path: "/api/chain/stats", secret: e.reader})
	if code != http.StatusOK {
		e.t.Fatalf("stats: %d %s", code, body)
	}
	var st chainindex.Stats
	if err := json.Unmarshal(body, &st); err != nil {
		e.t.Fatal(err)
	}
	return st.Height
}

// tagPacks reads the economy's TagPacks as a JSON array for POST.
func (e *env) tagPacks() (string, []attrib.Tag) {
	e.t.Helper()
	packs, _ := filepath.Glob(filepath.Join(e.economy, "tags", "*.yaml"))
	var all []attrib.Tag
	for _, p := range packs {
		f, err := os.Open(p)
		if err != nil {
			e.t.Fatal(err)
		}
		tags, err := attrib.ParseTagPack(f, attrib.Limits{Currency: "BTC"})
		f.Close()
		if err != nil {
			e.t.Fatal(err)
		}
		all = append(all, tags...)
	}
	b, err := json.Marshal(all)
	if err != nil {
		e.t.Fatal(err)
	}
	return string(b), all
}

// ransomStart is a ransom payment whose money went to an exchange without
// a mixer, as txid:vout.
func (e *env) ransomStart() string {
	e.t.Helper()
	read := func(name string) [][]string {
		f, err := os.Open(filepath.Join(e.economy, "truth", name))
		if err != nil {
			e.t.Fatal(err)
		}
		defer f.Close()
		rows, err := csv.NewReader(f).ReadAll()
		if err != nil {
			e.t.Fatal(err)
		}
		return rows[1:]
	}
	direct := map[string]bool{}
	for _, r := range read("ransom_cashouts.csv") {
		if r[6] == "false" {
			direct[r[0]] = true
		}
	}
	for _, r := range read("ransom_payments.csv") {
		if direct[r[0]] {
			return r[3] + ":" + r[4]
		}
	}
	e.t.Fatal("no ransom payment cashed out directly")
	return ""
}

const unknownAddr = "1BoatSLRHtKNngkdXEeobR76b53LETtpyT" // valid, never in the synthetic chain

func TestChainAPI(t *testing.T) {
	e := newEnv(t)

	// Before any ingest: a 404 that says how to build the index.
	code, body := e.do(request{path: "/api/chain/stats", secret: e.reader})
	if code != http.StatusNotFound || !strings.Contains(string(body), "entente chain ingest") {
		t.Fatalf("stats without an index: %d %s, want 404 naming 'entente chain ingest'", code, body)
	}

	// A second ingest (another process) shows without a restart.
	e.ingest(10)
	if h := e.height(); h != 9 {
		t.Fatalf("height after 10 blocks = %d, want 9", h)
	}
	e.ingest(-1)
	full := e.height()
	if full <= 9 {
		t.Fatalf("height after the full ingest = %d, want past 9", full)
	}

	tagsJSON, tags := e.tagPacks()
	exchangeAddr := ""
	for _, tg := range tags {
		if tg.Category == attrib.Exchange {
			exchangeAddr = tg.Address
			break
		}
	}
	start := e.ransomStart()
	long := "[" + strings.Repeat(`{"address":"`+unknownAddr+`","category":"exchange","confidence":1},`, 20_000) + "{}]"

	tests := []struct {
		name string
		req  request
		want int
		// contains is in the body when want is 200 or the error's description.
		contains string
	}{
		{"no credentials", request{path: "/api/chain/stats"}, 401, "authenticate"},
		{"unknown token", request{path: "/api/chain/stats", secret: "ent_nope"}, 401, ""},
		{"basic with another user's token", request{path: "/api/chain/stats", user: "ana", secret: e.reader}, 401, ""},
		{"basic", request{path: "/api/chain/stats", user: "rita", secret: e.reader}, 200, `"height":` + strconv.Itoa(int(full))},
		{"unknown endpoint", request{path: "/api/chain/nope", secret: e.reader}, 404, "no chain API endpoint"},
		{"address malformed", request{path: "/api/chain/address/notanaddress", secret: e.reader}, 400, "not an address"},
		{"address in upper case", request{path: "/api/chain/address/BC1QW508D6QEJXTDG4Y5R3ZARVARY0C5XW7KV8F3T4", secret: e.reader}, 400, ""},
		{"address unknown", request{path: "/api/chain/address/" + unknownAddr, secret: e.reader}, 404, "not found"},
		{"address bad limit", request{path: "/api/chain/address/" + unknownAddr + "?limit=-1", secret: e.reader}, 400, "limit"},
		{"address", request{path: "/api/chain/address/" + exchangeAddr + "?limit=2", secret: e.reader}, 200, `"indexed":true`},
		{"cluster unknown", request{path: "/api/chain/cluster/" + unknownAddr, secret: e.reader}, 404, ""},
		{"cluster", request{path: "/api/chain/cluster/" + exchangeAddr + "?limit=5", secret: e.reader}, 200, `"members":["`},
		{"trace without from", request{path: "/api/chain/trace", secret: e.reader}, 400, "from is required"},
		{"trace bad policy", request{path: "/api/chain/trace?from=" + start + "&policy=magic", secret: e.reader}, 400, "policy"},
		{"trace bad depth", request{path: "/api/chain/trace?from=" + start + "&depth=0", secret: e.reader}, 400, "depth"},
		{"trace bad stop_at", request{path: "/api/chain/trace?from=" + start + "&stop_at=banks", secret: e.reader}, 400, "stop_at"},
		{"trace unknown tx", request{path: "/api/chain/trace?from=" + strings.Repeat("ab", 32), secret: e.reader}, 404, ""},
		{"tags bad category", request{path: "/api/chain/tags?category=banks", secret: e.reader}, 400, "category"},
		{"tags before any", request{path: "/api/chain/tags", secret: e.reader}, 200, "[]"},
		{"reader cannot post", request{method: "POST", path: "/api/chain/tags", secret: e.reader, ctype: "application/json", body: tagsJSON}, 403, "analyst"},
		{"post not json", request{method: "POST", path: "/api/chain/tags", secret: e.analyst, ctype: "text/plain", body: tagsJSON}, 415, ""},
		{"post malformed", request{method: "POST", path: "/api/chain/tags", secret: e.analyst, ctype: "application/json", body: `[{"address":`}, 400, "malformed"},
		{"post not an array", request{method: "POST", path: "/api/chain/tags", secret: e.analyst, ctype: "application/json", body: `{}`}, 400, "array"},
		{"post too big", request{method: "POST", path: "/api/chain/tags", secret: e.analyst, ctype: "application/json", body: long}, 413, ""},
		{"post bad category", request{method: "POST", path: "/api/chain/tags", secret: e.analyst, ctype: "application/json",
			body: `[{"address":"` + unknownAddr + `","category":"banks","confidence":50}]`}, 422, "tag 0"},
		{"post wrong network", request{method: "POST", path: "/api/chain/tags", secret: e.analyst, ctype: "application/json",
			body: `[{"address":"tb1qw508d6qejxtdg4y5r3zarvary0c5xw7kxpjzsx","category":"exchange","confidence":50}]`}, 422, "not an address"},
		{"post", request{method: "POST", path: "/api/chain/tags", secret: e.analyst, ctype: "application/json; charset=utf-8", body: tagsJSON}, 200, `"added":` + strconv.Itoa(len(tags))},
		{"post again adds nothing", request{method: "POST", path: "/api/chain/tags", secret: e.analyst, ctype: "application/json", body: tagsJSON}, 200, `"added":0`},
		{"tags by address", request{path: "/api/chain/tags?address=" + exchangeAddr, secret: e.reader}, 200, `"category":"exchange"`},
		{"tagged unknown address", request{method: "POST", path: "/api/chain/tags", secret: e.analyst, ctype: "application/json",
			body: `[{"address":"` + unknownAddr + `","category":"sanctioned","actor":"OFAC","confidence":100}]`}, 200, `"added":1`},
		{"address tagged, not indexed", request{path: "/api/chain/address/" + unknownAddr, secret: e.reader}, 200, `"indexed":false`},
		{"cluster shows tags", request{path: "/api/chain/cluster/" + exchangeAddr, secret: e.reader}, 200, `"category":"exchange"`},
		{"trace reaches an exchange", request{path: "/api/chain/trace?from=" + start + "&depth=50", secret: e.reader}, 200, `"category":"exchange"`},
		{"trace without stops", request{path: "/api/chain/trace?from=" + start + "&stop_at=&depth=2", secret: e.reader}, 200, `"entities":`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, body := e.do(tt.req)
			if code != tt.want {
				t.Fatalf("status %d, want %d: %.300s", code, tt.want, body)
			}
			if !strings.Contains(string(body), tt.contains) {
				t.Errorf("body does not contain %q: %.500s", tt.contains, body)
			}
		})
	}
}

// TestConcurrentRequests: requests in parallel while ingest commits from
// beside; the race detector checks the index is used one request at a
// time, and the answers see the new blocks once ingest is done.
func TestConcurrentRequests(t *testing.T) {
	e := newEnv(t)
	e.ingest(5)
	done := make(chan struct{})
	errs := make(chan string, 4)
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for {
				select {
				case <-done:
					return
				default:
				}
				if code, body := e.doQuiet(request{path: "/api/chain/stats", secret: e.reader}); code != http.StatusOK {
					errs <- fmt.Sprintf("%d %s", code, body)
					return
				}
			}
		})
	}
	e.ingest(-1)
	close(done)
	wg.Wait()
	close(errs)
	for msg := range errs {
		t.Errorf("stats during ingest: %s", msg)
	}
	if h := e.height(); h <= 4 {
		t.Errorf("height after ingest = %d, want past 4", h)
	}
}

// doQuiet is do for other goroutines: it reports instead of failing.
func (e *env) doQuiet(r request) (int, []byte) {
	req, err := http.NewRequest("GET", e.srv.URL+r.path, nil)
	if err != nil {
		return 0, []byte(err.Error())
	}
	req.Header.Set("Authorization", "Bearer "+r.secret)
	resp, err := e.srv.Client().Do(req)
	if err != nil {
		return 0, []byte(err.Error())
	}
	defer resp.Body.Close()
	var buf bytes.Buffer
	_, _ = buf.ReadFrom(resp.Body)
	return resp.StatusCode, buf.Bytes()
}

// TestIndexFileCutUnderTheNode: a mapped index file cut short under the
// node (here by hand; in life by a writer recovering from a crash, or a
// failing disk) answers 503 instead of killing the node with SIGBUS, and
// the node recovers once the files are whole again.
func TestIndexFileCutUnderTheNode(t *testing.T) {
	e := newEnv(t)
	e.ingest(-1)
	_, tags := e.tagPacks()
	path := "/api/chain/address/" + tags[0].Address
	if code, body := e.do(request{path: path, secret: e.reader}); code != http.StatusOK {
		t.Fatalf("%d %s", code, body)
	}
	col := filepath.Join(e.data, "chain", "out.col")
	whole, err := os.ReadFile(col)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(col, 0); err != nil {
		t.Fatal(err)
	}
	if code, body := e.do(request{path: path, secret: e.reader}); code != http.StatusServiceUnavailable {
		t.Errorf("with out.col cut: %d %s, want 503", code, body)
	}
	if err := os.WriteFile(col, whole, 0o644); err != nil {
		t.Fatal(err)
	}
	if code, body := e.do(request{path: path, secret: e.reader}); code != http.StatusOK {
		t.Errorf("with out.col whole again: %d %s", code, body)
	}
}
