package taxii_test

// The authorisation matrix: every endpoint x role x TLP marking x relation
// of the reader's organization to the object, each answer asserted. The
// expectations are written out by hand from the TLP 2.0 definitions (see
// package auth), not computed with auth.CanRead, so that a mistake in the
// policy shows up here too.

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/entente/entente/internal/auth"
	"github.com/entente/entente/internal/stix"
	"github.com/entente/entente/internal/store"
	"github.com/entente/entente/internal/store/sqlite"
	"github.com/entente/entente/internal/taxii"
	"github.com/entente/entente/internal/taxiiclient"
)

const (
	mxShared  = "7d1f0a52-3b0e-4c55-8d6e-2b9a1c0d4e01" // read: all; write: nl, de; audience: fr; default AMBER
	mxPrivate = "7d1f0a52-3b0e-4c55-8d6e-2b9a1c0d4e02" // read and write: nl only
)

// The organizations and how they relate to objects produced by nl with
// recipient_orgs ["de"] and recipient_users ["de-reader"].
var mxOrgs = []auth.Org{
	{Name: "nl", Kind: auth.KindMember},                             // producer
	{Name: "de", Kind: auth.KindMember},                             // named recipient
	{Name: "fr", Kind: auth.KindMember},                             // collection audience
	{Name: "be", Kind: auth.KindMember},                             // other member
	{Name: "exch", Kind: auth.KindClient, ClientOf: []string{"nl"}}, // client of the producer
	{Name: "bank", Kind: auth.KindClient, ClientOf: []string{"de"}}, // client of a recipient
	{Name: "ext", Kind: auth.KindClient},                            // outsider
}

var mxRoles = []auth.Role{auth.RoleAdmin, auth.RoleAnalyst, auth.RoleReader}

var mxMarkings = []struct {
	name string
	ref  string // object_marking_refs entry, "" for unmarked
}{
	{"clear", stix.MarkingTLPClear},
	{"green", stix.MarkingTLPGreen},
	{"amber", stix.MarkingTLPAmber},
	{"amber+strict", stix.MarkingTLPAmberStrict},
	{"red", stix.MarkingTLPRed},
	{"unmarked", ""}, // takes the collection default, AMBER
	{"tlp1-white", stix.MarkingTLP1White},
	{"tlp1-amber", stix.MarkingTLP1Amber},
}

// mxCanSee is the hand-written expectation for the shared collection.
func mxCanSee(org string, user string, marking string) bool {
	switch marking {
	case "clear", "tlp1-white":
		return true
	case "green":
		return slices.Contains([]string{"nl", "de", "fr", "be"}, org)
	case "amber", "unmarked", "tlp1-amber":
		// producer, recipient, audience, and the clients of producer and recipient
		return slices.Contains([]string{"nl", "de", "fr", "exch", "bank"}, org)
	case "amber+strict":
		return slices.Contains([]string{"nl", "de", "fr"}, org)
	case "red":
		return user == "nl-analyst" || user == "de-reader"
	}
	panic(marking)
}

func mxUser(org string, r auth.Role) string { return org + "-" + string(r) }

type mxEnv struct {
	srv     *httptest.Server
	clients map[string]*taxiiclient.Client
	objects map[string]string // marking -> object id
	status  string            // the producer's status id
}

func mxIndicator(id, marking string, n int) json.RawMessage {
	o := map[string]any{
		"type": "indicator", "spec_version": "2.1", "id": id,
		"created": "2026-03-01T10:00:00.000Z", "modified": "2026-03-01T10:00:00.000Z",
		"name":         fmt.Sprintf("ransom wallet %d", n),
		"pattern":      fmt.Sprintf("[cryptocurrency-wallet:value = 'bc1qmx%04d']", n),
		"pattern_type": "stix", "valid_from": "2026-03-01T10:00:00Z",
		"extensions": map[string]any{stix.ExtensionAccess: map[string]any{
			"extension_type": "property-extension",
			"recipient_orgs": []string{"de"}, "recipient_users": []string{"de-reader"},
		}},
	}
	if marking != "" {
		o["object_marking_refs"] = []string{marking}
	}
	b, _ := json.Marshal(o)
	return b
}

func newMxEnv(t *testing.T) *mxEnv {
	t.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, sqlite.Config{Path: filepath.Join(t.TempDir(), "entente.db")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	now := time.Now()
	for _, o := range mxOrgs {
		o.Created = now
		if err := st.CreateOrg(ctx, o); err != nil {
			t.Fatal(err)
		}
	}
	e := &mxEnv{clients: map[string]*taxiiclient.Client{}, objects: map[string]string{}}
	srvTLS := &tls.Config{MinVersion: tls.VersionTLS13}
	srvKey := make([]byte, 32)
	s, err := taxii.New(taxii.Config{Store: st, NextKey: srvKey})
	if err != nil {
		t.Fatal(err)
	}
	e.srv = httptest.NewUnstartedServer(s)
	e.srv.TLS = srvTLS
	e.srv.StartTLS()
	t.Cleanup(e.srv.Close)
	for _, o := range mxOrgs {
		for _, r := range mxRoles {
			name := mxUser(o.Name, r)
			if err := st.CreateUser(ctx, auth.User{Name: name, Org: o.Name, Role: r, Created: now}); err != nil {
				t.Fatal(err)
			}
			secret, tok, err := auth.NewToken(nil, name, now, time.Hour)
			if err != nil {
				t.Fatal(err)
			}
			if err := st.CreateToken(ctx, tok); err != nil {
				t.Fatal(err)
			}
			e.clients[name] = &taxiiclient.Client{APIRoot: e.srv.URL + "/api1/", HTTP: e.srv.Client(), User: name, Token: secret}
		}
	}
	for _, c := range []store.Collection{
		{ID: mxShared, Title: "shared", ReadOrgs: []string{store.AllOrgs}, WriteOrgs: []string{"nl", "de"},
			Recipients: []string{"fr"}, DefaultTLP: stix.TLPAmber, Created: now},
		{ID: mxPrivate, Title: "private", ReadOrgs: []string{"nl"}, WriteOrgs: []string{"nl"},
			DefaultTLP: stix.TLPClear, Created: now},
	} {
		if err := st.CreateCollection(ctx, c); err != nil {
			t.Fatal(err)
		}
	}
	var objs []json.RawMessage
	for i, m := range mxMarkings {
		id := fmt.Sprintf("indicator--6b0f7a3e-1c2d-4e5f-8a9b-%012d", i)
		e.objects[m.name] = id
		objs = append(objs, mxIndicator(id, m.ref, i))
	}
	st1, err := e.clients["nl-analyst"].Add(ctx, mxShared, objs)
	if err != nil || st1.SuccessCount != len(objs) {
		t.Fatalf("seeding: %v %+v", err, st1)
	}
	e.status = st1.ID
	return e
}

func mxCode(err error) int {
	if err == nil {
		return 200
	}
	var te *taxiiclient.Error
	if errors.As(err, &te) {
		return te.StatusCode
	}
	return -1
}

func TestAuthorizationMatrix(t *testing.T) {
	e := newMxEnv(t)
	ctx := context.Background()
	n := 0
	for _, o := range mxOrgs {
		for _, r := range mxRoles {
			user := mxUser(o.Name, r)
			c := e.clients[user]
			t.Run(user, func(t *testing.T) {
				// objects, manifest: the visible set.
				var env taxiiclient.Envelope
				if _, err := c.Do(ctx, "GET", "collections/"+mxShared+"/objects/", nil, nil, &env); err != nil {
					t.Fatalf("objects: %v", err)
				}
				got := map[string]bool{}
				for _, raw := range env.Objects {
					var h struct{ ID string }
					json.Unmarshal(raw, &h)
					got[h.ID] = true
				}
				var man struct {
					Objects []struct{ ID string } `json:"objects"`
				}
				if _, err := c.Do(ctx, "GET", "collections/"+mxShared+"/manifest/", nil, nil, &man); err != nil {
					t.Fatalf("manifest: %v", err)
				}
				gotMan := map[string]bool{}
				for _, m := range man.Objects {
					gotMan[m.ID] = true
				}
				for _, m := range mxMarkings {
					id := e.objects[m.name]
					want := mxCanSee(o.Name, user, m.name)
					if got[id] != want {
						t.Errorf("objects/ %s: listed %v, want %v", m.name, got[id], want)
					}
					if gotMan[id] != want {
						t.Errorf("manifest/ %s: listed %v, want %v", m.name, gotMan[id], want)
					}
					wantCode := 404
					if want {
						wantCode = 200
					}
					_, err := c.Do(ctx, "GET", "collections/"+mxShared+"/objects/"+id+"/", nil, nil, nil)
					if mxCode(err) != wantCode {
						t.Errorf("objects/{id}/ %s: %d (%v), want %d", m.name, mxCode(err), err, wantCode)
					}
					_, err = c.Do(ctx, "GET", "collections/"+mxShared+"/objects/"+id+"/versions/", nil, nil, nil)
					if mxCode(err) != wantCode {
						t.Errorf("versions/ %s: %d (%v), want %d", m.name, mxCode(err), err, wantCode)
					}
				}
				// status: the poster only.
				_, err := c.Do(ctx, "GET", "status/"+e.status+"/", nil, nil, nil)
				if want := map[bool]int{true: 200, false: 404}[user == "nl-analyst"]; mxCode(err) != want {
					t.Errorf("status/: %d, want %d", mxCode(err), want)
				}
				// The private collection: nl sees it, everyone else gets 404.
				wantPriv := 404
				if o.Name == "nl" {
					wantPriv = 200
				}
				for _, p := range []string{"", "objects/", "manifest/"} {
					_, err := c.Do(ctx, "GET", "collections/"+mxPrivate+"/"+p, nil, nil, nil)
					if mxCode(err) != wantPriv {
						t.Errorf("private collection %q: %d, want %d", p, mxCode(err), wantPriv)
					}
				}
				// collections list and can_read/can_write flags.
				var cols struct {
					Collections []struct {
						ID       string `json:"id"`
						CanRead  bool   `json:"can_read"`
						CanWrite bool   `json:"can_write"`
					} `json:"collections"`
				}
				if _, err := c.Do(ctx, "GET", "collections/", nil, nil, &cols); err != nil {
					t.Fatal(err)
				}
				writer := r != auth.RoleReader && (o.Name == "nl" || o.Name == "de")
				var sawShared, sawPriv bool
				for _, col := range cols.Collections {
					switch col.ID {
					case mxShared:
						sawShared = true
						if !col.CanRead || col.CanWrite != writer {
							t.Errorf("shared collection flags read=%v write=%v, want true %v", col.CanRead, col.CanWrite, writer)
						}
					case mxPrivate:
						sawPriv = true
					}
				}
				if !sawShared || sawPriv != (o.Name == "nl") {
					t.Errorf("collections list: shared %v private %v", sawShared, sawPriv)
				}
				// POST: writers get 202 and their object stored; others 403.
				n++
				id := fmt.Sprintf("indicator--0c0ffee0-0000-4000-8000-%012d", n)
				st, err := c.Add(ctx, mxShared, []json.RawMessage{mxIndicator(id, stix.MarkingTLPClear, 9999)})
				if writer {
					if err != nil || st.SuccessCount != 1 {
						t.Errorf("POST by writer: %v %+v", err, st)
					}
				} else if mxCode(err) != 403 {
					t.Errorf("POST by non-writer: %d (%v), want 403", mxCode(err), err)
				}
				// DELETE: writers who can see it delete it (200); a writer who
				// cannot see it gets 404; non-writers 403.
				if writer {
					_, err := c.Do(ctx, "DELETE", "collections/"+mxShared+"/objects/"+id+"/", nil, nil, nil)
					if mxCode(err) != 200 {
						t.Errorf("DELETE own object: %d (%v)", mxCode(err), err)
					}
					if _, err := c.Do(ctx, "GET", "collections/"+mxShared+"/objects/"+id+"/", nil, nil, nil); mxCode(err) != 404 {
						t.Errorf("deleted object still served: %v", err)
					}
				} else {
					_, err := c.Do(ctx, "DELETE", "collections/"+mxShared+"/objects/"+e.objects["clear"]+"/", nil, nil, nil)
					if mxCode(err) != 403 {
						t.Errorf("DELETE by non-writer: %d, want 403", mxCode(err))
					}
				}
			})
		}
	}
}

// TestAuthorizationDeleteInvisible: a writer cannot delete, or learn of, an
// object it may not read.
func TestAuthorizationDeleteInvisible(t *testing.T) {
	e := newMxEnv(t)
	c := e.clients["de-analyst"] // writer on the shared collection, not the RED user
	_, err := c.Do(context.Background(), "DELETE", "collections/"+mxShared+"/objects/"+e.objects["red"]+"/", url.Values{}, nil, nil)
	if mxCode(err) != 404 {
		t.Fatalf("DELETE of an invisible RED object: %d, want 404", mxCode(err))
	}
	// The producer still has it.
	if _, err := e.clients["nl-analyst"].Do(context.Background(), "GET", "collections/"+mxShared+"/objects/"+e.objects["red"]+"/", nil, nil, nil); err != nil {
		t.Fatalf("RED object gone after a refused delete: %v", err)
	}
}
