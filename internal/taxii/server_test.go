package taxii

import (
	"bytes"
	"context"
	"crypto/tls"
	_ "embed"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/entente/entente/internal/auth"
	"github.com/entente/entente/internal/stix"
	"github.com/entente/entente/internal/store"
	"github.com/entente/entente/internal/store/sqlite"
)

// Collections of the test node.
const (
	colShared  = "0b5cc3a1-6c4e-4f51-9d1a-3f1e1d6f1a01" // everyone reads; nccu and cert write
	colPrivate = "0b5cc3a1-6c4e-4f51-9d1a-3f1e1d6f1a02" // nccu only
	colDrop    = "0b5cc3a1-6c4e-4f51-9d1a-3f1e1d6f1a03" // other writes, nobody reads
	colAmber   = "0b5cc3a1-6c4e-4f51-9d1a-3f1e1d6f1a04" // everyone reads; audience cert; default AMBER
	colMissing = "0b5cc3a1-6c4e-4f51-9d1a-3f1e1d6f1aff"
)

// clock is a settable time source.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// env is a running node: a real SQLite store behind the server on real
// TLS 1.3.
type env struct {
	t      testing.TB
	store  store.Store
	srv    *Server
	ts     *httptest.Server
	client *http.Client
	clock  *clock
	tokens map[string]string // user -> secret
}

type envOptions struct {
	maxBody    int64
	maxObjects int
	logger     *slog.Logger
}

func newEnv(t testing.TB, opts ...envOptions) *env {
	t.Helper()
	var o envOptions
	if len(opts) > 0 {
		o = opts[0]
	}
	ctx := context.Background()
	st, err := sqlite.Open(ctx, sqlite.Config{Path: filepath.Join(t.TempDir(), "entente.db")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	e := &env{t: t, store: st, clock: &clock{t: time.Now().UTC()}, tokens: map[string]string{}}

	now := time.Now().UTC()
	orgs := []auth.Org{
		{Name: "nccu", Kind: auth.KindMember, Created: now},
		{Name: "cert", Kind: auth.KindMember, Created: now},
		{Name: "other", Kind: auth.KindMember, Created: now},
		{Name: "exchange", Kind: auth.KindClient, ClientOf: []string{"cert"}, Created: now},
	}
	for _, org := range orgs {
		if err := st.CreateOrg(ctx, org); err != nil {
			t.Fatal(err)
		}
	}
	users := []auth.User{
		{Name: "ana", Org: "nccu", Role: auth.RoleAnalyst},
		{Name: "rita", Org: "nccu", Role: auth.RoleReader},
		{Name: "adam", Org: "nccu", Role: auth.RoleAdmin},
		{Name: "carl", Org: "cert", Role: auth.RoleAnalyst},
		{Name: "olga", Org: "other", Role: auth.RoleAnalyst},
		{Name: "xena", Org: "exchange", Role: auth.RoleAnalyst},
	}
	for _, u := range users {
		u.Created = now
		if err := st.CreateUser(ctx, u); err != nil {
			t.Fatal(err)
		}
		secret, tok, err := auth.NewToken(nil, u.Name, now, 0)
		if err != nil {
			t.Fatal(err)
		}
		if err := st.CreateToken(ctx, tok); err != nil {
			t.Fatal(err)
		}
		e.tokens[u.Name] = secret
	}
	cols := []store.Collection{
		{ID: colShared, Title: "Shared", ReadOrgs: []string{store.AllOrgs}, WriteOrgs: []string{"nccu", "cert"}, DefaultTLP: stix.TLPClear},
		{ID: colPrivate, Title: "Private", ReadOrgs: []string{"nccu"}, WriteOrgs: []string{"nccu"}, DefaultTLP: stix.TLPClear},
		{ID: colDrop, Title: "Drop box", WriteOrgs: []string{"other"}, DefaultTLP: stix.TLPClear},
		{ID: colAmber, Title: "Amber", ReadOrgs: []string{store.AllOrgs}, WriteOrgs: []string{store.AllOrgs}, Recipients: []string{"cert"}, DefaultTLP: stix.TLPAmber},
	}
	for _, c := range cols {
		c.Created = now
		if err := st.CreateCollection(ctx, c); err != nil {
			t.Fatal(err)
		}
	}
	srv, err := New(Config{
		Store:        st,
		Now:          e.clock.Now,
		NextKey:      bytes.Repeat([]byte{7}, 32),
		MaxBodyBytes: o.maxBody,
		MaxObjects:   o.maxObjects,
		Title:        "Test node",
		Logger:       o.logger,
	})
	if err != nil {
		t.Fatal(err)
	}
	e.srv = srv
	e.ts = httptest.NewUnstartedServer(srv)
	e.ts.TLS = &tls.Config{MinVersion: tls.VersionTLS13}
	e.ts.StartTLS()
	t.Cleanup(e.ts.Close)
	e.client = e.ts.Client()
	return e
}

// response is what a request got back.
type response struct {
	status int
	header http.Header
	body   []byte
}

// req is one request; user "" sends no credentials.
type req struct {
	method, path, user string
	body               []byte
	header             map[string]string
	bearer             bool
}

func (e *env) do(r req) response {
	e.t.Helper()
	if r.method == "" {
		r.method = http.MethodGet
	}
	var body io.Reader
	if r.body != nil {
		body = bytes.NewReader(r.body)
	}
	hr, err := http.NewRequest(r.method, e.ts.URL+r.path, body)
	if err != nil {
		e.t.Fatal(err)
	}
	hr.Header.Set("Accept", MediaType)
	if r.body != nil {
		hr.Header.Set("Content-Type", MediaType)
	}
	if r.user != "" {
		if r.bearer {
			hr.Header.Set("Authorization", "Bearer "+e.tokens[r.user])
		} else {
			hr.SetBasicAuth(r.user, e.tokens[r.user])
		}
	}
	for k, v := range r.header {
		if v == "" {
			hr.Header.Del(k)
		} else {
			hr.Header.Set(k, v)
		}
	}
	resp, err := e.client.Do(hr)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		e.t.Fatal(err)
	}
	return response{status: resp.StatusCode, header: resp.Header, body: b}
}

// get is a GET as user, failing the test unless it answers 200.
func (e *env) get(user, path string, out any) response {
	e.t.Helper()
	r := e.do(req{path: path, user: user})
	if r.status != http.StatusOK {
		e.t.Fatalf("GET %s as %s: %d %s", path, user, r.status, r.body)
	}
	checkMediaType(e.t, r)
	if out != nil {
		if err := json.Unmarshal(r.body, out); err != nil {
			e.t.Fatalf("GET %s: %v in %s", path, err, r.body)
		}
	}
	return r
}

// post adds objects as user and returns the status resource.
func (e *env) post(user, collection string, objects ...string) (response, statusResource) {
	e.t.Helper()
	r := e.do(req{method: http.MethodPost, path: objectsPath(collection), user: user, body: envelope(objects...)})
	var st statusResource
	if r.status == http.StatusAccepted {
		if err := json.Unmarshal(r.body, &st); err != nil {
			e.t.Fatalf("POST status: %v in %s", err, r.body)
		}
	}
	return r, st
}

// mustPost adds objects and fails unless every one succeeded.
func (e *env) mustPost(user, collection string, objects ...string) statusResource {
	e.t.Helper()
	r, st := e.post(user, collection, objects...)
	if r.status != http.StatusAccepted || st.SuccessCount != len(objects) || st.Status != "complete" {
		e.t.Fatalf("POST %d objects as %s: %d %s", len(objects), user, r.status, r.body)
	}
	return st
}

func checkMediaType(t testing.TB, r response) {
	t.Helper()
	if got := r.header.Get("Content-Type"); got != MediaType {
		t.Errorf("Content-Type = %q, want %q", got, MediaType)
	}
}

// checkError checks a TAXII error resource with the given status.
func checkError(t *testing.T, r response, status int) errorResource {
	t.Helper()
	if r.status != status {
		t.Fatalf("status %d, want %d; body %s", r.status, status, r.body)
	}
	checkMediaType(t, r)
	var er errorResource
	if err := json.Unmarshal(r.body, &er); err != nil {
		t.Fatalf("error body %q: %v", r.body, err)
	}
	if er.Title == "" || er.HTTPStatus != fmt.Sprint(status) {
		t.Errorf("error resource %+v: want a title and http_status %d", er, status)
	}
	return er
}

func objectsPath(collection string) string {
	return "/api1/collections/" + collection + "/objects/"
}

func envelope(objects ...string) []byte {
	return []byte(`{"objects":[` + strings.Join(objects, ",") + `]}`)
}

// Test objects. UUIDs are derived from n so that tests can name them.

func uuidN(kind, n int) string { return fmt.Sprintf("%08x-%04x-4000-8000-%012x", n, kind, n) }

const ts0 = "2026-03-01T10:00:00.000Z"

func indicatorID(n int) string { return "indicator--" + uuidN(1, n) }
func malwareID(n int) string   { return "malware--" + uuidN(2, n) }

// indicator is a STIX indicator for a Bitcoin address, version v (1-based:
// later versions have later modified timestamps).
func indicator(n, v int, marking string) string {
	addr := testAddresses[n%len(testAddresses)]
	modified := fmt.Sprintf("2026-03-01T10:%02d:%02d.000Z", v/60, v%60)
	refs := ""
	if marking != "" {
		refs = fmt.Sprintf(`,"object_marking_refs":[%q]`, marking)
	}
	return fmt.Sprintf(`{"type":"indicator","spec_version":"2.1","id":%q,"created":%q,"modified":%q,`+
		`"name":"Ransomware payment address %d","indicator_types":["malicious-activity"],`+
		`"pattern":"[cryptocurrency-wallet:address = '%s']","pattern_type":"stix","valid_from":%q%s}`,
		indicatorID(n), ts0, modified, n, addr, ts0, refs)
}

func malware(n int, name string) string {
	return fmt.Sprintf(`{"type":"malware","spec_version":"2.1","id":%q,"created":%q,"modified":%q,`+
		`"name":%q,"is_family":true,"malware_types":["ransomware"]}`, malwareID(n), ts0, ts0, name)
}

func relationship(n int, from, to string) string {
	return fmt.Sprintf(`{"type":"relationship","spec_version":"2.1","id":"relationship--%s","created":%q,"modified":%q,`+
		`"relationship_type":"indicates","source_ref":%q,"target_ref":%q}`, uuidN(3, n), ts0, ts0, from, to)
}

// wallet is a cryptocurrency-wallet SCO for a sanctioned Bitcoin address.
func wallet(n int) string {
	return string(stix.NewCryptocurrencyWallet("bitcoin", testAddresses[n%len(testAddresses)]))
}

func walletID(n int) string {
	var h struct{ ID string }
	if err := json.Unmarshal([]byte(wallet(n)), &h); err != nil {
		panic(err)
	}
	return h.ID
}

// Real addresses and family names; see testdata/SOURCE.txt.
var (
	//go:embed testdata/ofac-xbt-addresses.txt
	xbtAddresses string
	//go:embed testdata/misp-ransomware-names.txt
	ransomwareNameList string

	testAddresses   = strings.Fields(xbtAddresses)
	ransomwareNames = strings.Split(strings.TrimSpace(ransomwareNameList), "\n")
)
