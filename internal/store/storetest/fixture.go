package storetest

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/entente/entente/internal/auth"
	"github.com/entente/entente/internal/stix"
	"github.com/entente/entente/internal/store"
)

const (
	tlpNone        = stix.TLPUnmarked
	tlpClear       = stix.TLPClear
	tlpGreen       = stix.TLPGreen
	tlpAmber       = stix.TLPAmber
	tlpAmberStrict = stix.TLPAmberStrict
	tlpRed         = stix.TLPRed
)

// The community of the fixture: each organization stands for one relation
// an object's TLP rule can hinge on.
var fixtureOrgs = []struct {
	name     string
	kind     auth.OrgKind
	clientOf []string
	users    []string
}{
	{"prod", auth.KindMember, nil, []string{"prod-u1", "prod-u2"}},    // producer
	{"recip", auth.KindMember, nil, []string{"recip-u"}},              // named recipient org
	{"memb", auth.KindMember, nil, []string{"memb-u"}},                // bystander member; memb-u a named user
	{"aud", auth.KindMember, nil, []string{"aud-u"}},                  // a collection's audience
	{"cli-prod", auth.KindClient, []string{"prod"}, []string{"cp-u"}}, // client of the producer
	{"cli-recip", auth.KindClient, []string{"recip", "memb"}, []string{"cr-u"}},
	{"cli-aud", auth.KindClient, []string{"aud"}, []string{"ca-u"}},
	{"outsider", auth.KindClient, nil, []string{"out-u"}},
}

// fixture is a store with the fixture's organizations and users in it.
type fixture struct {
	t       *testing.T
	s       store.Store
	orgs    map[string]auth.Org
	orgList []auth.Org
	userOrg map[string]string
	n       int
}

func newFixture(t *testing.T, s store.Store) *fixture {
	t.Helper()
	ctx := context.Background()
	f := &fixture{t: t, s: s, orgs: map[string]auth.Org{}, userOrg: map[string]string{}}
	for i, o := range fixtureOrgs {
		org := auth.Org{Name: o.name, Kind: o.kind, ClientOf: o.clientOf, Created: ts(i)}
		if err := s.CreateOrg(ctx, org); err != nil {
			t.Fatalf("CreateOrg(%s): %v", o.name, err)
		}
		f.orgs[o.name] = org
		f.orgList = append(f.orgList, org)
		for _, u := range o.users {
			if err := s.CreateUser(ctx, auth.User{Name: u, Org: o.name, Role: auth.RoleAnalyst, Created: ts(i)}); err != nil {
				t.Fatalf("CreateUser(%s): %v", u, err)
			}
			f.userOrg[u] = o.name
		}
	}
	return f
}

func (f *fixture) collection(title string, def stix.TLP, audience []string) store.Collection {
	f.t.Helper()
	f.n++
	c := store.Collection{
		ID:         fmt.Sprintf("%08x-1111-4111-8111-%012x", f.n, f.n),
		Title:      title,
		ReadOrgs:   []string{store.AllOrgs},
		WriteOrgs:  []string{"prod", "memb"},
		Recipients: audience,
		DefaultTLP: def,
		Created:    ts(100 + f.n),
	}
	if err := f.s.CreateCollection(context.Background(), c); err != nil {
		f.t.Fatalf("CreateCollection: %v", err)
	}
	return c
}

func (f *fixture) status(coll, user string, at time.Time, total int) string {
	f.t.Helper()
	f.n++
	id := fmt.Sprintf("%08x-2222-4222-8222-%012x", f.n, f.n)
	err := f.s.CreateStatus(context.Background(), store.Status{
		ID: id, Collection: coll, User: user, RequestTimestamp: at, Total: total,
	})
	if err != nil {
		f.t.Fatalf("CreateStatus: %v", err)
	}
	return id
}

// add stores objs in c as posted by user of org, through a fresh status.
func (f *fixture) add(c store.Collection, org, user string, objs []objSpec) []time.Time {
	f.t.Helper()
	st := f.status(c.ID, user, ts(1000), len(objs))
	dates, err := f.s.AddObjects(context.Background(), c.ID, st, f.writes(objs, org, user), nil)
	if err != nil {
		f.t.Fatalf("AddObjects: %v", err)
	}
	if len(dates) != len(objs) {
		f.t.Fatalf("AddObjects returned %d dates for %d writes", len(dates), len(objs))
	}
	return dates
}

func (f *fixture) writes(objs []objSpec, org, user string) []store.Write {
	ws := make([]store.Write, len(objs))
	for i, o := range objs {
		ws[i] = store.Write{Object: o.object(), ProducerOrg: org, ProducerUser: user}
	}
	return ws
}

// queryAll returns every version v may read in c, paging if needed.
func (f *fixture) queryAll(c store.Collection, v auth.Viewer, withRaw bool) []store.Entry {
	f.t.Helper()
	var all []store.Entry
	var after time.Time
	for range 1000 {
		p, err := f.s.Query(context.Background(), c, v, store.Filter{
			AddedAfter: after, Versions: store.VersionMatch{All: true}, Limit: 1000,
		}, withRaw)
		if err != nil {
			f.t.Fatalf("Query: %v", err)
		}
		all = append(all, p.Entries...)
		if !p.More {
			return all
		}
		if len(p.Entries) == 0 {
			f.t.Fatal("Query: More with no entries")
		}
		after = p.Entries[len(p.Entries)-1].DateAdded
	}
	f.t.Fatal("Query: paging does not end")
	return nil
}

// objSpec describes one object version to build.
type objSpec struct {
	typ           string // default "indicator"
	id            string
	created       time.Time // default modified
	modified      time.Time // zero: unversioned
	specVersion   string    // default "2.1"
	tlp           stix.TLP
	rorgs, rusers []string
	pad           int // extra bytes of description
}

func (o objSpec) object() *stix.Object {
	typ := o.typ
	if typ == "" {
		typ = o.id[:strings.Index(o.id, "--")]
	}
	sv := o.specVersion
	if sv == "" {
		sv = "2.1"
	}
	created := o.created
	if created.IsZero() {
		created = o.modified
	}
	m := map[string]any{"type": typ, "id": o.id, "spec_version": sv}
	if !created.IsZero() {
		m["created"] = created.Format(time.RFC3339Nano)
	}
	if !o.modified.IsZero() {
		m["modified"] = o.modified.Format(time.RFC3339Nano)
		m["pattern"] = "[ipv4-addr:value = '198.51.100.1']"
		m["pattern_type"] = "stix"
		m["valid_from"] = created.Format(time.RFC3339Nano)
	}
	if o.pad > 0 {
		m["description"] = strings.Repeat("x", o.pad)
	}
	raw, err := json.Marshal(m)
	if err != nil {
		panic(err) // a map of strings always marshals
	}
	return &stix.Object{
		Type: typ, ID: o.id, SpecVersion: sv, Created: created, Modified: o.modified,
		TLP: o.tlp, RecipientOrgs: o.rorgs, RecipientUsers: o.rusers, Raw: raw,
	}
}

// entryVersion is the Entry.Version the contract gives to o.
func (o objSpec) entryVersion(dateAdded time.Time) time.Time {
	if v := o.object().Version(); !v.IsZero() {
		return v
	}
	return dateAdded
}

// oid is a deterministic STIX identifier of the given type.
func oid(typ string, n int) string {
	return fmt.Sprintf("%s--%08x-0000-4000-8000-%012x", typ, n, n)
}

// viewerFor is what the TAXII server computes for user of org reading c.
func viewerFor(orgs map[string]auth.Org, user, org string, c store.Collection) auth.Viewer {
	o := orgs[org]
	v := auth.Viewer{User: user, Org: org, Community: o.Kind == auth.KindMember, ClientOf: o.ClientOf}
	v.InAudience = slices.Contains(c.Recipients, org)
	for _, p := range o.ClientOf {
		if slices.Contains(c.Recipients, p) {
			v.ClientOfAudience = true
		}
	}
	return v
}

func sameStrings(a, b []string) bool { return slices.Equal(a, b) || len(a) == 0 && len(b) == 0 }

func sameOrg(a, b auth.Org) bool {
	return a.Name == b.Name && a.Kind == b.Kind && sameStrings(a.ClientOf, b.ClientOf) && a.Created.Equal(b.Created)
}

func sameUser(a, b auth.User) bool {
	return a.Name == b.Name && a.Org == b.Org && a.Role == b.Role && a.Created.Equal(b.Created)
}

func sameToken(a, b auth.Token) bool {
	return a.ID == b.ID && a.User == b.User && a.Hash == b.Hash && a.Created.Equal(b.Created) &&
		a.Expires.Equal(b.Expires) && a.Revoked == b.Revoked
}

func sameCollection(a, b store.Collection) bool {
	return a.ID == b.ID && a.Title == b.Title && a.Description == b.Description &&
		sameStrings(a.ReadOrgs, b.ReadOrgs) && sameStrings(a.WriteOrgs, b.WriteOrgs) &&
		sameStrings(a.Recipients, b.Recipients) && a.DefaultTLP == b.DefaultTLP && a.Created.Equal(b.Created)
}

func sameEntries(a, b []store.Entry, withRaw bool) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		x, y := a[i], b[i]
		if x.ID != y.ID || x.Type != y.Type || x.SpecVersion != y.SpecVersion ||
			!x.Version.Equal(y.Version) || !x.DateAdded.Equal(y.DateAdded) {
			return false
		}
		if withRaw && string(x.Raw) != string(y.Raw) {
			return false
		}
	}
	return true
}

func fmtEntries(es []store.Entry) string {
	var b strings.Builder
	b.WriteString("[")
	for i, e := range es {
		if i > 0 {
			b.WriteString(" ")
		}
		fmt.Fprintf(&b, "%s@%s", e.ID, e.Version.UTC().Format("15:04:05.000000"))
	}
	b.WriteString("]")
	return b.String()
}

// key names one object version in expected sets.
type key struct {
	id      string
	version int64
}

func entryKeys(es []store.Entry) []key {
	ks := make([]key, len(es))
	for i, e := range es {
		ks[i] = key{e.ID, e.Version.UnixMicro()}
	}
	return ks
}
