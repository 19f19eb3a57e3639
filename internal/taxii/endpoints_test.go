package taxii

import (
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/entente/entente/internal/auth"
	"github.com/entente/entente/internal/stix"
)

func TestDiscoveryAndAPIRoot(t *testing.T) {
	e := newEnv(t)
	var d discoveryResource
	e.get("rita", "/taxii2/", &d)
	wantRoot := e.ts.URL + "/api1/"
	if d.Title != "Test node" || d.Default != wantRoot || !slices.Equal(d.APIRoots, []string{wantRoot}) {
		t.Errorf("discovery = %+v, want title and api root %s", d, wantRoot)
	}
	var a apiRootResource
	e.get("rita", "/api1/", &a)
	if !slices.Equal(a.Versions, []string{MediaType}) || a.MaxContentLength != 32<<20 {
		t.Errorf("api root = %+v", a)
	}
}

func TestAuthentication(t *testing.T) {
	e := newEnv(t)
	// A token that expires in one minute, for the expiry case.
	ctx := context.Background()
	shortSecret, short, err := auth.NewToken(nil, "carl", e.clock.Now(), time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.store.CreateToken(ctx, short); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		header map[string]string
		path   string
		want   int
	}{
		{"none", nil, "/api1/collections/", 401},
		{"none on unknown path", nil, "/nothing/", 401},
		{"basic ok", map[string]string{"Authorization": basic("ana", e.tokens["ana"])}, "/api1/collections/", 200},
		{"basic other user's name", map[string]string{"Authorization": basic("carl", e.tokens["ana"])}, "/api1/collections/", 401},
		{"basic wrong secret", map[string]string{"Authorization": basic("ana", "ent_nope")}, "/api1/collections/", 401},
		{"basic empty secret", map[string]string{"Authorization": basic("ana", "")}, "/api1/collections/", 401},
		{"bearer ok", map[string]string{"Authorization": "Bearer " + e.tokens["ana"]}, "/api1/collections/", 200},
		{"bearer lower case", map[string]string{"Authorization": "bearer " + e.tokens["ana"]}, "/api1/collections/", 200},
		{"bearer unknown", map[string]string{"Authorization": "Bearer ent_AAAA"}, "/api1/collections/", 401},
		{"bearer huge", map[string]string{"Authorization": "Bearer " + strings.Repeat("A", 5000)}, "/api1/collections/", 401},
		{"other scheme", map[string]string{"Authorization": "Digest " + e.tokens["ana"]}, "/api1/collections/", 401},
		{"short-lived ok", map[string]string{"Authorization": basic("carl", shortSecret)}, "/api1/collections/", 200},
		{"authenticated unknown path", map[string]string{"Authorization": basic("ana", e.tokens["ana"])}, "/nothing/", 404},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := e.do(req{path: tt.path, header: tt.header})
			if tt.want != 200 {
				checkError(t, r, tt.want)
			} else if r.status != 200 {
				t.Fatalf("status %d: %s", r.status, r.body)
			}
			if tt.want == 401 && r.header.Get("WWW-Authenticate") != `Basic realm="entente"` {
				t.Errorf("WWW-Authenticate = %q", r.header.Get("WWW-Authenticate"))
			}
		})
	}

	t.Run("expiry", func(t *testing.T) {
		e.clock.Add(2 * time.Minute)
		checkError(t, e.do(req{path: "/api1/", header: map[string]string{"Authorization": basic("carl", shortSecret)}}), 401)
	})
	t.Run("HEAD", func(t *testing.T) {
		// HEAD is answered like GET, without a body.
		r := e.do(req{method: "HEAD", path: "/api1/collections/", user: "ana"})
		if r.status != 200 || len(r.body) != 0 || r.header.Get("Content-Type") != MediaType {
			t.Errorf("HEAD: %d %q %q", r.status, r.header.Get("Content-Type"), r.body)
		}
	})
	t.Run("revocation within seconds", func(t *testing.T) {
		e.get("olga", "/api1/", nil) // now cached
		toks, err := e.store.Tokens(ctx, "olga")
		if err != nil || len(toks) != 1 {
			t.Fatalf("tokens: %v %v", toks, err)
		}
		if err := e.store.RevokeToken(ctx, toks[0].ID); err != nil {
			t.Fatal(err)
		}
		e.clock.Add(authCacheTTL)
		checkError(t, e.do(req{path: "/api1/", user: "olga"}), 401)
	})
}

func basic(user, secret string) string {
	r, _ := http.NewRequest("GET", "/", nil)
	r.SetBasicAuth(user, secret)
	return r.Header.Get("Authorization")
}

func TestCollectionsVisibility(t *testing.T) {
	e := newEnv(t)
	type right struct{ read, write bool }
	tests := []struct {
		user string
		want map[string]right
	}{
		{"ana", map[string]right{colShared: {true, true}, colPrivate: {true, true}, colAmber: {true, true}}},
		{"rita", map[string]right{colShared: {true, false}, colPrivate: {true, false}, colAmber: {true, false}}},
		{"adam", map[string]right{colShared: {true, true}, colPrivate: {true, true}, colAmber: {true, true}}},
		{"carl", map[string]right{colShared: {true, true}, colAmber: {true, true}}},
		{"olga", map[string]right{colShared: {true, false}, colDrop: {false, true}, colAmber: {true, true}}},
		{"xena", map[string]right{colShared: {true, false}, colAmber: {true, true}}},
	}
	for _, tt := range tests {
		t.Run(tt.user, func(t *testing.T) {
			var list struct {
				Collections []collectionResource `json:"collections"`
			}
			e.get(tt.user, "/api1/collections/", &list)
			got := map[string]right{}
			for _, c := range list.Collections {
				got[c.ID] = right{c.CanRead, c.CanWrite}
				if !slices.Equal(c.MediaTypes, []string{stixMediaType}) || c.Title == "" {
					t.Errorf("collection %+v: want title and media_types", c)
				}
			}
			if len(got) != len(tt.want) {
				t.Errorf("collections %v, want %v", got, tt.want)
			}
			for id, w := range tt.want {
				if got[id] != w {
					t.Errorf("collection %s: rights %+v, want %+v", id, got[id], w)
				}
				var one collectionResource
				e.get(tt.user, "/api1/collections/"+id+"/", &one)
				if one.ID != id || (right{one.CanRead, one.CanWrite}) != w {
					t.Errorf("GET collection %s = %+v, want %+v", id, one, w)
				}
			}
		})
	}
}

// TestRights checks 404 for collections a user may not know of and 403
// for the operations it may not do on one it knows.
func TestRights(t *testing.T) {
	e := newEnv(t)
	e.mustPost("ana", colShared, indicator(1, 1, ""))
	e.mustPost("ana", colPrivate, indicator(1, 1, ""))
	obj := func(col string) string { return objectsPath(col) + indicatorID(1) + "/" }
	tests := []struct {
		user, method, path string
		want               int
	}{
		{"olga", "GET", "/api1/collections/" + colPrivate + "/", 404},
		{"olga", "GET", objectsPath(colPrivate), 404},
		{"olga", "GET", "/api1/collections/" + colPrivate + "/manifest/", 404},
		{"olga", "GET", obj(colPrivate), 404},
		{"olga", "GET", obj(colPrivate) + "versions/", 404},
		{"olga", "DELETE", obj(colPrivate), 404},
		{"olga", "POST", objectsPath(colPrivate), 404},
		{"ana", "GET", objectsPath(colMissing), 404},
		{"ana", "GET", "/api1/collections/" + strings.Repeat("a", 500) + "/", 404},
		{"olga", "GET", "/api1/collections/" + colDrop + "/", 200},
		{"olga", "GET", objectsPath(colDrop), 403},
		{"olga", "GET", "/api1/collections/" + colDrop + "/manifest/", 403},
		{"olga", "GET", objectsPath(colDrop) + indicatorID(1) + "/", 403},
		{"olga", "GET", objectsPath(colDrop) + indicatorID(1) + "/versions/", 403},
		{"olga", "POST", objectsPath(colDrop), 202},
		{"olga", "POST", objectsPath(colShared), 403},
		{"rita", "POST", objectsPath(colShared), 403},
		{"rita", "DELETE", obj(colShared), 403},
		{"olga", "DELETE", obj(colShared), 403},
		{"rita", "GET", obj(colShared), 200},
		{"olga", "GET", obj(colShared), 200},
		{"ana", "GET", obj(colPrivate), 200},
	}
	for _, tt := range tests {
		t.Run(tt.user+" "+tt.method+" "+tt.path, func(t *testing.T) {
			var body []byte
			if tt.method == "POST" {
				body = envelope(malware(1, ransomwareNames[0]))
			}
			r := e.do(req{method: tt.method, path: tt.path, user: tt.user, body: body})
			if tt.want >= 400 {
				checkError(t, r, tt.want)
			} else if r.status != tt.want {
				t.Fatalf("status %d, want %d: %s", r.status, tt.want, r.body)
			}
		})
	}
}

func TestRouting(t *testing.T) {
	e := newEnv(t)
	tests := []struct {
		method, path string
		want         int
		allow        string
	}{
		{"PUT", objectsPath(colShared), 405, "GET, HEAD, POST"},
		{"POST", "/api1/collections/", 405, "GET, HEAD"},
		{"DELETE", "/taxii2/", 405, "GET, HEAD"},
		{"PATCH", objectsPath(colShared) + indicatorID(1) + "/", 405, "DELETE, GET, HEAD"},
		{"POST", "/api1/status/x/", 405, "GET, HEAD"},
		{"GET", "/api1/nothing/", 404, ""},
		{"GET", "/api1/collections/" + colShared + "/objects", 404, ""},
		{"GET", "/taxii2/extra/", 404, ""},
		{"GET", "/api1/status/00000000-0000-4000-8000-000000000000/", 404, ""},
		{"GET", objectsPath(colShared) + "not-an-id/", 400, ""},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.path, func(t *testing.T) {
			r := e.do(req{method: tt.method, path: tt.path, user: "ana"})
			checkError(t, r, tt.want)
			if tt.allow != "" {
				allow := strings.Split(r.header.Get("Allow"), ", ")
				slices.Sort(allow)
				if got := strings.Join(allow, ", "); got != tt.allow {
					t.Errorf("Allow = %q, want %q", got, tt.allow)
				}
			}
		})
	}
}

func TestMediaTypes(t *testing.T) {
	e := newEnv(t)
	accept := []struct {
		accept string
		want   int
	}{
		{"", 200},
		{"*/*", 200},
		{"application/*", 200},
		{"application/taxii+json", 200},
		{"application/taxii+json;version=2.1", 200},
		{"application/taxii+json; version=2.1", 200},
		{"text/html, application/taxii+json;version=2.1;q=0.9", 200},
		{"application/json", 406},
		{"application/taxii+json;version=2.0", 406},
		{"application/stix+json;version=2.1", 406},
		{"text/html", 406},
		{"application/taxii+json;q=0", 406},
		{"garbage;;;", 406},
	}
	for _, tt := range accept {
		t.Run("Accept "+tt.accept, func(t *testing.T) {
			r := e.do(req{path: "/api1/collections/", user: "ana", header: map[string]string{"Accept": tt.accept}})
			if tt.want != 200 {
				checkError(t, r, tt.want)
			} else if r.status != 200 {
				t.Fatalf("status %d: %s", r.status, r.body)
			}
		})
	}
	contentType := []struct {
		ct   string
		body string
		want int
	}{
		{MediaType, string(envelope(malware(1, "Vortex"))), 202},
		{"application/taxii+json", string(envelope(malware(1, "Vortex"))), 202},
		{"application/stix+json;version=2.1", `{"type":"bundle","id":"bundle--` + uuidN(9, 1) + `","objects":[` + malware(1, "Vortex") + `]}`, 202},
		{"application/json", string(envelope(malware(1, "Vortex"))), 415},
		{"application/stix+json", string(envelope(malware(1, "Vortex"))), 415},
		{"application/taxii+json;version=2.0", string(envelope(malware(1, "Vortex"))), 415},
		{"", string(envelope(malware(1, "Vortex"))), 415},
	}
	for _, tt := range contentType {
		t.Run("Content-Type "+tt.ct, func(t *testing.T) {
			r := e.do(req{method: "POST", path: objectsPath(colShared), user: "ana", body: []byte(tt.body),
				header: map[string]string{"Content-Type": tt.ct}})
			if tt.want != 202 {
				checkError(t, r, tt.want)
			} else if r.status != 202 {
				t.Fatalf("status %d: %s", r.status, r.body)
			}
		})
	}
}

func TestBadParameters(t *testing.T) {
	e := newEnv(t)
	objs := objectsPath(colShared)
	one := objs + indicatorID(1) + "/"
	tests := []struct {
		path, method string
		wantIn       string // the description must name this
	}{
		{objs + "?added_after=yesterday", "GET", "added_after"},
		{objs + "?added_after=2026-01-01T00:00:00+01:00", "GET", "added_after"},
		{objs + "?added_after=2026-01-01T00:00:00Z&added_after=2026-01-02T00:00:00Z", "GET", "added_after"},
		{objs + "?limit=0", "GET", "limit"},
		{objs + "?limit=-5", "GET", "limit"},
		{objs + "?limit=ten", "GET", "limit"},
		{objs + "?limit=", "GET", "limit"},
		{objs + "?limit=1.5", "GET", "limit"},
		{objs + "?match[version]=newest", "GET", "match[version]"},
		{objs + "?match[version]=last,2026-13-01T00:00:00Z", "GET", "match[version]"},
		{objs + "?match[colour]=red", "GET", "match[colour]"},
		{objs + "?match[id]=not-an-id", "GET", "match[id]"},
		{objs + "?match[type]=Indicator", "GET", "match[type]"},
		{objs + "?match[type]=", "GET", "match[type]"},
		{objs + "?match[spec_version]=two", "GET", "match[spec_version]"},
		{objs + "?match[type]=" + strings.Repeat("malware,", 1001), "GET", "match[type]"},
		{objs + "?next=@@@", "GET", "next"},
		{objs + "?next=" + strings.Repeat("A", 2000), "GET", "next"},
		{objs + "?next=QUJD", "GET", "next"},
		{"/api1/collections/" + colShared + "/manifest/?limit=x", "GET", "limit"},
		{one + "?match[type]=indicator", "GET", "match[type]"},
		{one + "?match[id]=" + indicatorID(2), "GET", "match[id]"},
		{one + "versions/?match[version]=all", "GET", "match[version]"},
		{one + "?limit=1", "DELETE", "limit"},
		{one + "?added_after=2026-01-01T00:00:00Z", "DELETE", "added_after"},
		{one + "?match[version]=sometime", "DELETE", "match[version]"},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+truncate(tt.path, 120), func(t *testing.T) {
			er := checkError(t, e.do(req{method: tt.method, path: tt.path, user: "ana"}), 400)
			if !strings.Contains(er.Description, tt.wantIn) {
				t.Errorf("description %q does not name %s", er.Description, tt.wantIn)
			}
		})
	}
	t.Run("unknown non-TAXII parameters are ignored", func(t *testing.T) {
		e.get("ana", objs+"?_=12345&format=json", nil)
	})
	t.Run("limit above MaxLimit is clamped", func(t *testing.T) {
		e.get("ana", objs+"?limit=99999999999999999999", nil)
	})
}

func TestStatus(t *testing.T) {
	e := newEnv(t)
	st := e.mustPost("ana", colShared, indicator(1, 1, ""), malware(1, ransomwareNames[1]))
	var got statusResource
	e.get("ana", "/api1/status/"+st.ID+"/", &got)
	if got.ID != st.ID || got.Status != "complete" || got.TotalCount != 2 || got.SuccessCount != 2 ||
		got.PendingCount != 0 || len(got.Successes) != 2 || got.RequestTimestamp == "" {
		t.Errorf("status = %+v", got)
	}
	for _, d := range got.Successes {
		if _, err := stix.ParseTimestamp(d.Version); err != nil {
			t.Errorf("success %+v: version: %v", d, err)
		}
	}
	// Another user of the same organization may not see it.
	checkError(t, e.do(req{path: "/api1/status/" + st.ID + "/", user: "rita"}), 404)
	checkError(t, e.do(req{path: "/api1/status/" + uuidN(8, 8) + "/", user: "ana"}), 404)
}

func TestPruneStatuses(t *testing.T) {
	e := newEnv(t)
	st := e.mustPost("ana", colShared, malware(1, ransomwareNames[2]))
	if n, err := e.srv.PruneStatuses(context.Background()); err != nil || n != 0 {
		t.Fatalf("prune now: %d, %v", n, err)
	}
	e.clock.Add(8 * 24 * time.Hour)
	if n, err := e.srv.PruneStatuses(context.Background()); err != nil || n != 1 {
		t.Fatalf("prune after 8 days: %d, %v", n, err)
	}
	checkError(t, e.do(req{path: "/api1/status/" + st.ID + "/", user: "ana"}), 404)
}

// envelopeOf decodes an objects or object answer.
type envelopeOf struct {
	More    bool              `json:"more"`
	Next    string            `json:"next"`
	Objects []json.RawMessage `json:"objects"`
}

// TestStoreFailure: a broken store is a 500 with a TAXII body that names
// an error id for the log, and says nothing of the store's internals.
func TestStoreFailure(t *testing.T) {
	e := newEnv(t)
	e.get("ana", "/api1/collections/", nil)
	if err := e.store.Close(); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{"/api1/collections/", objectsPath(colShared)} {
		e.clock.Add(authCacheTTL) // forget the cached token too
		er := checkError(t, e.do(req{path: path, user: "ana"}), 500)
		if er.ErrorID == "" || !strings.Contains(er.Description, er.ErrorID) || strings.Contains(er.Description, "sql") {
			t.Errorf("%s: error %+v", path, er)
		}
	}
}
