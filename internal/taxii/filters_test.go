package taxii

import (
	"encoding/json"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/entente/entente/internal/stix"
	"github.com/entente/entente/internal/stix/stixschema"
)

// schemas validates what the server sends against the OASIS JSON schemas.
var schemas = sync.OnceValues(func() (*stixschema.Validator, error) {
	return stixschema.New("../stix/testdata/stix2-json-schemas/schemas")
})

func validateObjects(t *testing.T, objs []json.RawMessage) {
	t.Helper()
	v, err := schemas()
	if err != nil {
		t.Fatalf("schemas: %v", err)
	}
	for _, o := range objs {
		if err := v.Validate(o); err != nil {
			t.Errorf("served object fails the OASIS schema: %v\n%s", err, o)
		}
	}
}

// labels name the test objects: "ind1@3" is version 3 of indicator 1.
func label(id, version string) string {
	names := map[string]string{
		indicatorID(1): "ind1", indicatorID(2): "ind2", malwareID(1): "mal1",
		"relationship--" + uuidN(3, 1): "rel1", walletID(1): "wallet1",
	}
	name, ok := names[id]
	if !ok {
		name = id
	}
	if !strings.HasPrefix(id, "indicator--") || version == "" {
		return name
	}
	ts, err := stix.ParseTimestamp(version)
	if err != nil {
		return name + "@" + version
	}
	return name + "@" + strconv.Itoa(ts.Minute()*60+ts.Second())
}

func objectLabels(t *testing.T, objs []json.RawMessage) []string {
	t.Helper()
	var out []string
	for _, o := range objs {
		var h struct{ ID, Modified string }
		if err := json.Unmarshal(o, &h); err != nil {
			t.Fatal(err)
		}
		out = append(out, label(h.ID, h.Modified))
	}
	return out
}

type manifestPage struct {
	More    bool             `json:"more"`
	Next    string           `json:"next"`
	Objects []manifestRecord `json:"objects"`
}

// filterEnv posts the filter test set to the shared collection and returns
// the date_added of each version, by label.
func filterEnv(t *testing.T) (*env, map[string]string) {
	e := newEnv(t)
	e.mustPost("ana", colShared, indicator(1, 1, ""), indicator(2, 1, ""), malware(1, ransomwareNames[3]),
		relationship(1, indicatorID(1), malwareID(1)), wallet(1))
	e.mustPost("ana", colShared, indicator(1, 2, ""))
	e.mustPost("ana", colShared, indicator(1, 3, ""))
	var m manifestPage
	e.get("ana", "/api1/collections/"+colShared+"/manifest/?match[version]=all", &m)
	added := map[string]string{}
	for _, r := range m.Objects {
		added[label(r.ID, r.Version)] = r.DateAdded
	}
	if len(added) != 7 {
		t.Fatalf("manifest of all versions: %+v", m)
	}
	return e, added
}

func TestObjectFilters(t *testing.T) {
	e, added := filterEnv(t)
	tests := []struct {
		query    string
		want     []string
		wantMore bool
	}{
		{"", []string{"ind2@1", "mal1", "rel1", "wallet1", "ind1@3"}, false},
		{"match[version]=last", []string{"ind2@1", "mal1", "rel1", "wallet1", "ind1@3"}, false},
		{"match[version]=all", []string{"ind1@1", "ind2@1", "mal1", "rel1", "wallet1", "ind1@2", "ind1@3"}, false},
		{"match[version]=first", []string{"ind1@1", "ind2@1", "mal1", "rel1", "wallet1"}, false},
		{"match[version]=first,last", []string{"ind1@1", "ind2@1", "mal1", "rel1", "wallet1", "ind1@3"}, false},
		{"match[version]=first&match[version]=last", []string{"ind1@1", "ind2@1", "mal1", "rel1", "wallet1", "ind1@3"}, false},
		{"match[version]=2026-03-01T10:00:02.000Z", []string{"ind1@2"}, false},
		{"match[version]=2026-03-01T10:00:02Z,2026-03-01T10:00:03.000000Z", []string{"ind1@2", "ind1@3"}, false},
		{"match[version]=2026-03-01T10:00:09Z", nil, false},
		{"match[type]=indicator", []string{"ind2@1", "ind1@3"}, false},
		{"match[type]=malware,relationship", []string{"mal1", "rel1"}, false},
		{"match[type]=malware&match[type]=cryptocurrency-wallet", []string{"mal1", "wallet1"}, false},
		{"match[type]=attack-pattern", nil, false},
		{"match[id]=" + indicatorID(1) + "&match[version]=all", []string{"ind1@1", "ind1@2", "ind1@3"}, false},
		{"match[id]=" + indicatorID(1) + "," + malwareID(1), []string{"mal1", "ind1@3"}, false},
		{"match[id]=" + indicatorID(1) + "&match[type]=malware", nil, false},
		{"match[spec_version]=2.1", []string{"ind2@1", "mal1", "rel1", "wallet1", "ind1@3"}, false},
		{"match[spec_version]=2.0", nil, false},
		{"added_after=" + added["wallet1"], []string{"ind1@3"}, false},
		{"added_after=" + added["wallet1"] + "&match[version]=all", []string{"ind1@2", "ind1@3"}, false},
		{"added_after=" + added["ind1@3"], nil, false},
		{"limit=2", []string{"ind2@1", "mal1"}, true},
		{"limit=2&match[version]=all", []string{"ind1@1", "ind2@1"}, true},
		{"limit=7&match[version]=all", []string{"ind1@1", "ind2@1", "mal1", "rel1", "wallet1", "ind1@2", "ind1@3"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			var env envelopeOf
			r := e.get("rita", objectsPath(colShared)+"?"+tt.query, &env)
			validateObjects(t, env.Objects)
			if got := objectLabels(t, env.Objects); !slices.Equal(got, tt.want) {
				t.Errorf("objects = %v, want %v", got, tt.want)
			}
			if env.More != tt.wantMore || (env.Next != "") != tt.wantMore {
				t.Errorf("more = %v next = %q, want more %v", env.More, env.Next, tt.wantMore)
			}
			checkDateHeaders(t, r, added, tt.want)

			var m manifestPage
			r = e.get("rita", "/api1/collections/"+colShared+"/manifest/?"+tt.query, &m)
			var got []string
			for _, rec := range m.Objects {
				got = append(got, label(rec.ID, rec.Version))
				if rec.MediaType != stixMediaType || rec.DateAdded != added[label(rec.ID, rec.Version)] {
					t.Errorf("manifest record %+v: want media type %s and date_added %s", rec, stixMediaType, added[label(rec.ID, rec.Version)])
				}
			}
			if !slices.Equal(got, tt.want) || m.More != tt.wantMore {
				t.Errorf("manifest = %v more %v, want %v more %v", got, m.More, tt.want, tt.wantMore)
			}
			checkDateHeaders(t, r, added, tt.want)
		})
	}
}

// checkDateHeaders checks X-TAXII-Date-Added-First and -Last against the
// first and last entries expected.
func checkDateHeaders(t *testing.T, r response, added map[string]string, want []string) {
	t.Helper()
	first, last := r.header.Get(headerDateAddedFirst), r.header.Get(headerDateAddedLast)
	if len(want) == 0 {
		if first != "" || last != "" {
			t.Errorf("date headers %q %q on an empty page", first, last)
		}
		return
	}
	if first != added[want[0]] || last != added[want[len(want)-1]] {
		t.Errorf("date headers %q %q, want %q %q", first, last, added[want[0]], added[want[len(want)-1]])
	}
}

func TestObjectEndpoints(t *testing.T) {
	e, added := filterEnv(t)
	one := func(id string) string { return objectsPath(colShared) + id + "/" }
	wid := walletID(1)
	tests := []struct {
		path     string
		want     []string
		wantMore bool
	}{
		{one(indicatorID(1)), []string{"ind1@3"}, false},
		{one(indicatorID(1)) + "?match[version]=all", []string{"ind1@1", "ind1@2", "ind1@3"}, false},
		{one(indicatorID(1)) + "?match[version]=first", []string{"ind1@1"}, false},
		{one(indicatorID(1)) + "?match[version]=all&limit=2", []string{"ind1@1", "ind1@2"}, true},
		{one(indicatorID(1)) + "?match[version]=all&added_after=" + url.QueryEscape(added["ind1@1"]), []string{"ind1@2", "ind1@3"}, false},
		{one(indicatorID(1)) + "?match[spec_version]=2.0", nil, false},
		{one(indicatorID(1)) + "?match[version]=2026-03-01T10:00:09Z", nil, false},
		{one(wid), []string{"wallet1"}, false},
		{one(malwareID(1)), []string{"mal1"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			var env envelopeOf
			r := e.get("olga", tt.path, &env)
			validateObjects(t, env.Objects)
			if got := objectLabels(t, env.Objects); !slices.Equal(got, tt.want) || env.More != tt.wantMore {
				t.Errorf("objects = %v more %v, want %v more %v", got, env.More, tt.want, tt.wantMore)
			}
			checkDateHeaders(t, r, added, tt.want)
		})
	}

	versions := []struct {
		path     string
		want     []string
		wantMore bool
	}{
		{one(indicatorID(1)) + "versions/", []string{"ind1@1", "ind1@2", "ind1@3"}, false},
		{one(indicatorID(1)) + "versions/?limit=1", []string{"ind1@1"}, true},
		{one(indicatorID(1)) + "versions/?added_after=" + url.QueryEscape(added["ind1@2"]), []string{"ind1@3"}, false},
		{one(indicatorID(1)) + "versions/?match[spec_version]=2.1", []string{"ind1@1", "ind1@2", "ind1@3"}, false},
		{one(indicatorID(2)) + "versions/", []string{"ind2@1"}, false},
	}
	for _, tt := range versions {
		t.Run(tt.path, func(t *testing.T) {
			var v struct {
				More     bool     `json:"more"`
				Next     string   `json:"next"`
				Versions []string `json:"versions"`
			}
			r := e.get("olga", tt.path, &v)
			var got []string
			for _, ver := range v.Versions {
				if _, err := stix.ParseTimestamp(ver); err != nil || len(ver) != len("2026-03-01T10:00:00.000000Z") {
					t.Errorf("version %q is not a microsecond STIX timestamp", ver)
				}
				got = append(got, label(indicatorID(1), ver)[len("ind1"):])
			}
			var want []string
			for _, w := range tt.want {
				want = append(want, w[len("ind1"):])
			}
			if !slices.Equal(got, want) || v.More != tt.wantMore {
				t.Errorf("versions = %v more %v, want %v more %v", got, v.More, want, tt.wantMore)
			}
			checkDateHeaders(t, r, added, tt.want)
		})
	}

	t.Run("unknown object", func(t *testing.T) {
		checkError(t, e.do(req{path: one(indicatorID(99)), user: "olga"}), 404)
		checkError(t, e.do(req{path: one(indicatorID(99)) + "versions/", user: "olga"}), 404)
		checkError(t, e.do(req{method: "DELETE", path: one(indicatorID(99)), user: "ana"}), 404)
	})

	t.Run("delete", func(t *testing.T) {
		r := e.do(req{method: "DELETE", path: one(indicatorID(1)) + "?match[version]=first", user: "ana"})
		if r.status != 200 || len(r.body) != 0 {
			t.Fatalf("delete first: %d %s", r.status, r.body)
		}
		var env envelopeOf
		e.get("ana", one(indicatorID(1))+"?match[version]=all", &env)
		if got := objectLabels(t, env.Objects); !slices.Equal(got, []string{"ind1@2", "ind1@3"}) {
			t.Errorf("after deleting the first version: %v", got)
		}
		r = e.do(req{method: "DELETE", path: one(indicatorID(1)), user: "ana"})
		if r.status != 200 {
			t.Fatalf("delete all: %d %s", r.status, r.body)
		}
		checkError(t, e.do(req{path: one(indicatorID(1)), user: "ana"}), 404)
		checkError(t, e.do(req{method: "DELETE", path: one(indicatorID(1)), user: "ana"}), 404)
		e.get("ana", one(indicatorID(2)), nil) // others stay
	})
}

// TestTLP checks that the server builds the viewer right: each user sees
// exactly what TLP 2.0 allows.
func TestTLP(t *testing.T) {
	e := newEnv(t)
	e.mustPost("ana", colShared,
		indicator(1, 1, stix.MarkingTLPClear),
		indicator(2, 1, stix.MarkingTLPGreen),
		indicator(3, 1, stix.MarkingTLPAmber),
		indicator(4, 1, stix.MarkingTLPAmberStrict),
		indicator(5, 1, stix.MarkingTLPRed),
		indicator(6, 1, ""), // collection default: CLEAR
	)
	// In the AMBER collection (audience cert), unmarked means AMBER.
	e.mustPost("ana", colAmber, indicator(7, 1, ""), indicator(8, 1, stix.MarkingTLPAmberStrict))
	tests := []struct {
		user, collection string
		want             []int // indicator numbers
	}{
		{"ana", colShared, []int{1, 2, 3, 4, 5, 6}},
		{"rita", colShared, []int{1, 2, 3, 4, 6}}, // same org, not the RED producer
		{"carl", colShared, []int{1, 2, 6}},       // community member
		{"olga", colShared, []int{1, 2, 6}},       // community member
		{"xena", colShared, []int{1, 6}},          // client org: not community
		{"carl", colAmber, []int{7, 8}},           // in the audience
		{"xena", colAmber, []int{7}},              // client of the audience: AMBER, not STRICT
		{"olga", colAmber, nil},                   // neither
		{"rita", colAmber, []int{7, 8}},           // producer's org
	}
	for _, tt := range tests {
		t.Run(tt.user+" "+tt.collection, func(t *testing.T) {
			var env envelopeOf
			e.get(tt.user, objectsPath(tt.collection), &env)
			var want []string
			for _, n := range tt.want {
				want = append(want, indicatorID(n))
			}
			var got []string
			for _, o := range env.Objects {
				var h struct{ ID string }
				_ = json.Unmarshal(o, &h)
				got = append(got, h.ID)
			}
			if !slices.Equal(got, want) {
				t.Errorf("sees %v, want %v", got, want)
			}
			// Every hidden object is also hidden one by one.
			for n := 1; n <= 8; n++ {
				if slices.Contains(tt.want, n) {
					continue
				}
				r := e.do(req{path: objectsPath(tt.collection) + indicatorID(n) + "/", user: tt.user})
				checkError(t, r, 404)
			}
		})
	}
}
