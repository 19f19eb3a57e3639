package taxii

import (
	"net/url"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/entente/entente/internal/store"
)

func TestParseQuery(t *testing.T) {
	ts := func(s string) time.Time {
		v, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	tests := []struct {
		name    string
		ep      endpoint
		raw     string
		want    query
		wantErr string // part of the error; "" for success
	}{
		{"empty", epObjects, "", query{}, ""},
		{"all params", epObjects,
			"added_after=2026-01-02T03:04:05.123456789Z&limit=20&next=abc_-&match[id]=malware--" + uuidN(1, 1) +
				"&match[type]=malware,indicator&match[version]=last&match[spec_version]=2.1",
			query{addedAfter: ts("2026-01-02T03:04:05.123456Z"), limit: 20, next: "abc_-",
				ids: []string{"malware--" + uuidN(1, 1)}, types: []string{"indicator", "malware"},
				specVersions: []string{"2.1"}, versions: store.VersionMatch{Last: true}}, ""},
		{"repeated and comma-separated merge, sorted, deduplicated", epManifest,
			"match[type]=tool,malware&match[type]=malware&match[type]=attack-pattern",
			query{types: []string{"attack-pattern", "malware", "tool"}}, ""},
		{"versions", epObjects, "match[version]=first,2026-01-01T00:00:00Z,last,2025-01-01T00:00:00.5Z,2026-01-01T00:00:00.000Z",
			query{versions: store.VersionMatch{First: true, Last: true,
				At: []time.Time{ts("2025-01-01T00:00:00.5Z"), ts("2026-01-01T00:00:00Z")}}}, ""},
		{"all wins", epObjects, "match[version]=first,all", query{versions: store.VersionMatch{All: true}}, ""},
		{"limit clamps long numbers", epObjects, "limit=000000000000000000000000012", query{limit: 12}, ""},
		{"huge limit", epObjects, "limit=123456789012345", query{limit: 999999999}, ""},
		{"non-TAXII ignored", epObjects, "foo=bar&_=1", query{}, ""},
		{"object endpoint", epObject, "match[version]=all&limit=5", query{limit: 5, versions: store.VersionMatch{All: true}}, ""},
		{"versions endpoint", epVersions, "match[spec_version]=2.1&added_after=2026-01-01T00:00:00Z",
			query{specVersions: []string{"2.1"}, addedAfter: ts("2026-01-01T00:00:00Z")}, ""},
		{"delete", epDelete, "match[version]=first", query{versions: store.VersionMatch{First: true}}, ""},

		{"bad added_after", epObjects, "added_after=2026-01-01", query{}, "added_after"},
		{"added_after twice", epObjects, "added_after=2026-01-01T00:00:00Z&added_after=2026-01-01T00:00:00Z", query{}, "added_after"},
		{"limit zero", epObjects, "limit=0", query{}, "limit"},
		{"limit negative", epObjects, "limit=-1", query{}, "limit"},
		{"limit hex", epObjects, "limit=0x10", query{}, "limit"},
		{"limit space", epObjects, "limit=+1", query{}, "limit"},
		{"bad version", epObjects, "match[version]=latest", query{}, "match[version]"},
		{"empty version", epObjects, "match[version]=", query{}, "match[version]"},
		{"bad id", epObjects, "match[id]=indicator--123", query{}, "match[id]"},
		{"bad type", epObjects, "match[type]=a", query{}, "match[type]"},
		{"bad spec_version", epObjects, "match[spec_version]=2", query{}, "match[spec_version]"},
		{"unknown field", epObjects, "match[created_by_ref]=x", query{}, "match[created_by_ref]"},
		{"next charset", epObjects, "next=a+b", query{}, "next"},
		{"type on object", epObject, "match[type]=malware", query{}, "match[type]"},
		{"id on versions", epVersions, "match[id]=malware--" + uuidN(1, 1), query{}, "match[id]"},
		{"version on versions", epVersions, "match[version]=all", query{}, "match[version]"},
		{"next on delete", epDelete, "next=abc", query{}, "next"},
		{"limit on delete", epDelete, "limit=1", query{}, "limit"},
		{"too many values", epObjects, "match[type]=" + strings.Repeat("tool,", maxMatchValues), query{}, "too many"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			vals, err := url.ParseQuery(tt.raw)
			if err != nil {
				t.Fatal(err)
			}
			got, err := parseQuery(tt.ep, vals)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want one naming %q", err, tt.wantErr)
				}
				if ae, ok := err.(*apiError); !ok || ae.status != 400 {
					t.Errorf("err = %#v, want a 400", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !equalQuery(got, tt.want) {
				t.Errorf("got %+v\nwant %+v", got, tt.want)
			}
			// And back.
			again, err := parseQuery(tt.ep, got.encode())
			if err != nil || !equalQuery(again, got) {
				t.Errorf("round trip: %+v, %v", again, err)
			}
		})
	}
}

func equalQuery(a, b query) bool {
	return a.addedAfter.Equal(b.addedAfter) && a.limit == b.limit && a.next == b.next &&
		slices.Equal(a.ids, b.ids) && slices.Equal(a.types, b.types) && slices.Equal(a.specVersions, b.specVersions) &&
		a.versions.All == b.versions.All && a.versions.First == b.versions.First && a.versions.Last == b.versions.Last &&
		slices.EqualFunc(a.versions.At, b.versions.At, time.Time.Equal)
}

// FuzzParseQuery: no input panics, every accepted query survives
// encode -> parse unchanged, and its filter key is stable.
func FuzzParseQuery(f *testing.F) {
	for _, s := range []string{
		"",
		"added_after=2026-01-02T03:04:05.123Z&limit=10",
		"match[type]=indicator,malware&match[type]=tool&match[version]=first,last",
		"match[version]=2026-01-01T00:00:00Z,all&match[spec_version]=2.1",
		"match[id]=indicator--" + uuidN(1, 1) + "&next=AAAA",
		"limit=0999999999999&match[foo]=1",
		"added_after=9999-12-31T23:59:59.999999999Z",
	} {
		f.Add(s)
	}
	eps := []endpoint{epObjects, epManifest, epObject, epVersions, epDelete}
	f.Fuzz(func(t *testing.T, raw string) {
		vals, err := url.ParseQuery(raw)
		if err != nil {
			return
		}
		for _, ep := range eps {
			q, err := parseQuery(ep, vals)
			if err != nil {
				if _, ok := err.(*apiError); !ok {
					t.Fatalf("%v: error %T is not an answer", ep, err)
				}
				continue
			}
			again, err := parseQuery(ep, q.encode())
			if err != nil {
				t.Fatalf("%v: %q parsed, but its encoding %q does not: %v", ep, raw, q.encode().Encode(), err)
			}
			if !equalQuery(q, again) || !reflect.DeepEqual(q.filterKey("x"), again.filterKey("x")) {
				t.Fatalf("%v: round trip of %q changed %+v into %+v", ep, raw, q, again)
			}
		}
	})
}
