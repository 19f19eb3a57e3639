package taxii

import (
	"encoding/json"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/entente/entente/internal/stix"
)

// bigSet is 3,000 objects: indicators, malware families and the wallets of
// real sanctioned addresses.
func bigSet() []string {
	var objs []string
	for i := range testAddresses {
		objs = append(objs, wallet(i))
	}
	for n := 0; len(objs) < 3000; n++ {
		objs = append(objs, indicator(n, 1, ""), malware(n, ransomwareNames[n%len(ransomwareNames)]))
	}
	return objs[:3000]
}

// TestPaging pages 3,000 objects posted in one bundle by 100, following
// next and following X-TAXII-Date-Added-Last, and checks that both see
// each object exactly once, in date_added order.
func TestPaging(t *testing.T) {
	e := newEnv(t)
	objs := bigSet()
	e.mustPost("ana", colShared, objs...)

	walks := []struct {
		name string
		step func(prev response, env envelopeOf) string // the next query, "" when done
	}{
		{"next", func(_ response, env envelopeOf) string {
			if !env.More {
				return ""
			}
			return "limit=100&next=" + env.Next
		}},
		{"added_after", func(prev response, env envelopeOf) string {
			if !env.More {
				return ""
			}
			return "limit=100&added_after=" + url.QueryEscape(prev.header.Get(headerDateAddedLast))
		}},
	}
	for _, w := range walks {
		t.Run(w.name, func(t *testing.T) {
			seen := map[string]bool{}
			var lastAdded time.Time
			pages := 0
			for q := "limit=100"; q != ""; pages++ {
				if pages > 40 {
					t.Fatal("paging does not end")
				}
				var env envelopeOf
				r := e.get("rita", objectsPath(colShared)+"?"+q, &env)
				if len(env.Objects) != 100 {
					t.Fatalf("page %d has %d objects, want 100", pages, len(env.Objects))
				}
				first, err1 := stix.ParseTimestamp(r.header.Get(headerDateAddedFirst))
				last, err2 := stix.ParseTimestamp(r.header.Get(headerDateAddedLast))
				if err1 != nil || err2 != nil || !first.After(lastAdded) || last.Before(first) {
					t.Fatalf("page %d: date headers %q %q after %v", pages, r.header.Get(headerDateAddedFirst), r.header.Get(headerDateAddedLast), lastAdded)
				}
				lastAdded = last
				for _, o := range env.Objects {
					var h struct{ ID string }
					if err := json.Unmarshal(o, &h); err != nil {
						t.Fatal(err)
					}
					if seen[h.ID] {
						t.Fatalf("page %d repeats %s", pages, h.ID)
					}
					seen[h.ID] = true
				}
				validateObjects(t, env.Objects)
				q = w.step(r, env)
			}
			if len(seen) != 3000 || pages != 30 {
				t.Errorf("saw %d objects in %d pages, want 3000 in 30", len(seen), pages)
			}
		})
	}

	t.Run("manifest next", func(t *testing.T) {
		n, pages := 0, 0
		for q := "limit=1000"; q != ""; pages++ {
			var m manifestPage
			e.get("rita", "/api1/collections/"+colShared+"/manifest/?"+q, &m)
			n += len(m.Objects)
			q = ""
			if m.More {
				q = "limit=1000&next=" + m.Next
			}
		}
		if n != 3000 || pages != 3 {
			t.Errorf("manifest: %d records in %d pages, want 3000 in 3", n, pages)
		}
	})
}

// TestNextToken checks that a next token only continues the query that
// produced it.
func TestNextToken(t *testing.T) {
	e := newEnv(t)
	e.mustPost("ana", colShared, bigSet()[:30]...)
	e.mustPost("ana", colAmber, bigSet()[:30]...)
	first := func(user, path string) string {
		var env envelopeOf
		e.get(user, path, &env)
		if !env.More || env.Next == "" {
			t.Fatalf("%s: no next token", path)
		}
		return env.Next
	}
	objs := objectsPath(colShared)
	tok := first("ana", objs+"?limit=10&match[type]=indicator,malware")
	tampered := []byte(tok)
	tampered[len(tampered)/2] ^= 1
	manifestTok := first("ana", "/api1/collections/"+colShared+"/manifest/?limit=10&match[type]=indicator,malware")

	tests := []struct {
		name, user, path string
		want             int
	}{
		{"same query", "ana", objs + "?limit=10&match[type]=indicator,malware&next=" + tok, 200},
		{"other limit", "ana", objs + "?limit=5&match[type]=indicator,malware&next=" + tok, 200},
		{"values reordered and repeated", "ana", objs + "?match[type]=malware&match[type]=indicator&next=" + tok, 200},
		{"tampered", "ana", objs + "?limit=10&match[type]=indicator,malware&next=" + string(tampered), 400},
		{"truncated", "ana", objs + "?limit=10&match[type]=indicator,malware&next=" + tok[:len(tok)-4], 400},
		{"other user", "rita", objs + "?limit=10&match[type]=indicator,malware&next=" + tok, 400},
		{"other filter", "ana", objs + "?limit=10&match[type]=indicator&next=" + tok, 400},
		{"filter dropped", "ana", objs + "?limit=10&next=" + tok, 400},
		{"added_after added", "ana", objs + "?limit=10&match[type]=indicator,malware&added_after=2020-01-01T00:00:00Z&next=" + tok, 400},
		{"other collection", "ana", objectsPath(colAmber) + "?limit=10&match[type]=indicator,malware&next=" + tok, 400},
		{"other endpoint", "ana", "/api1/collections/" + colShared + "/manifest/?limit=10&match[type]=indicator,malware&next=" + tok, 400},
		{"manifest token on objects", "ana", objs + "?limit=10&match[type]=indicator,malware&next=" + manifestTok, 400},
		{"object endpoint", "ana", objs + indicatorID(1) + "/?next=" + tok, 400},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := e.do(req{path: tt.path, user: tt.user})
			if tt.want == 200 {
				var env envelopeOf
				if r.status != 200 || json.Unmarshal(r.body, &env) != nil || len(env.Objects) == 0 {
					t.Fatalf("status %d: %s", r.status, r.body)
				}
				return
			}
			er := checkError(t, r, tt.want)
			if !strings.Contains(er.Description, "next is invalid or expired") {
				t.Errorf("description %q", er.Description)
			}
		})
	}
	t.Run("expired", func(t *testing.T) {
		e.clock.Add(time.Hour)
		checkError(t, e.do(req{path: objs + "?limit=10&match[type]=indicator,malware&next=" + tok, user: "ana"}), 400)
	})
}
