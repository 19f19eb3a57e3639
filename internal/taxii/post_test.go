package taxii

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"testing"
)

func TestAddObjectsPartialFailure(t *testing.T) {
	var logs bytes.Buffer
	e := newEnv(t, envOptions{logger: slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))})
	bad := []struct {
		object  string
		id      string
		message string // part of the failure message
	}{
		{`{"type":"indicator","spec_version":"2.1","id":"` + indicatorID(50) + `","created":"` + ts0 + `","modified":"` + ts0 + `","pattern_type":"stix","valid_from":"` + ts0 + `"}`,
			indicatorID(50), "pattern"},
		{`{"type":"malware","spec_version":"2.1","id":"malware--not-a-uuid","created":"` + ts0 + `","modified":"` + ts0 + `","is_family":true}`,
			"malware--not-a-uuid", "id"},
		{`{"type":"malware","spec_version":"2.1","id":"` + malwareID(51) + `","created":"yesterday","modified":"` + ts0 + `","is_family":true}`,
			malwareID(51), "created"},
		{`{"id":"` + malwareID(52) + `"}`, malwareID(52), "type"},
	}
	good := []string{indicator(1, 1, ""), malware(1, ransomwareNames[4]), relationship(1, indicatorID(1), malwareID(1)), wallet(1)}
	var objs []string
	for i, g := range good {
		objs = append(objs, g, bad[i].object)
	}
	r, st := e.post("ana", colShared, objs...)
	if r.status != http.StatusAccepted {
		t.Fatalf("status %d: %s", r.status, r.body)
	}
	if st.Status != "complete" || st.TotalCount != 8 || st.SuccessCount != 4 || st.FailureCount != 4 || st.PendingCount != 0 {
		t.Errorf("status = %+v", st)
	}
	for _, b := range bad {
		found := false
		for _, f := range st.Failures {
			if f.ID == b.id {
				found = true
				if !strings.Contains(f.Message, b.message) {
					t.Errorf("failure of %s: message %q does not mention %s", b.id, f.Message, b.message)
				}
			}
		}
		if !found {
			t.Errorf("no failure for %s in %+v", b.id, st.Failures)
		}
	}
	if got := strings.Count(logs.String(), "object rejected"); got != len(bad) {
		t.Errorf("%d rejections logged, want %d:\n%s", got, len(bad), logs.String())
	}
	var env envelopeOf
	e.get("ana", objectsPath(colShared), &env)
	if len(env.Objects) != 4 {
		t.Errorf("stored %d objects, want the 4 good ones", len(env.Objects))
	}
	validateObjects(t, env.Objects)

	t.Run("identical re-post succeeds", func(t *testing.T) {
		st := e.mustPost("ana", colShared, good...)
		if st.FailureCount != 0 {
			t.Errorf("re-post: %+v", st)
		}
		var env envelopeOf
		e.get("ana", objectsPath(colShared)+"?match[version]=all", &env)
		if len(env.Objects) != 4 {
			t.Errorf("after re-post %d versions, want 4", len(env.Objects))
		}
	})
	t.Run("empty envelope", func(t *testing.T) {
		r := e.do(req{method: "POST", path: objectsPath(colShared), user: "ana", body: []byte(`{}`)})
		var st statusResource
		if r.status != 202 || json.Unmarshal(r.body, &st) != nil || st.TotalCount != 0 || st.Status != "complete" {
			t.Errorf("empty envelope: %d %s", r.status, r.body)
		}
	})
}

func TestAddObjectsRejected(t *testing.T) {
	e := newEnv(t, envOptions{maxBody: 64 << 10, maxObjects: 50})
	var many []string
	for n := range 51 {
		many = append(many, malware(n, "Family"))
	}
	deep := `{"objects":[` + strings.Repeat("[", 40) + strings.Repeat("]", 40) + `]}`
	huge := envelope(malware(1, strings.Repeat("A", 70<<10)))
	tests := []struct {
		name string
		body []byte
		want int
	}{
		{"body over the limit", huge, 413},
		{"too many objects", envelope(many...), 413},
		{"too deep", []byte(deep), 400},
		{"not JSON", []byte(`objects: none`), 400},
		{"truncated JSON", envelope(malware(1, "x"))[:40], 400},
		{"empty body", []byte{}, 400},
		{"JSON array", []byte(`[` + malware(1, "x") + `]`), 422},
		{"a bare object", []byte(malware(1, "x")), 422},
		{"objects not a list", []byte(`{"objects":{"a":1}}`), 422},
		{"objects of strings", []byte(`{"objects":["a"]}`), 422},
		{"bundle without id", []byte(`{"type":"bundle","objects":[]}`), 422},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := e.do(req{method: "POST", path: objectsPath(colShared), user: "ana", body: tt.body})
			checkError(t, r, tt.want)
		})
	}
	t.Run("body over the limit without Content-Length", func(t *testing.T) {
		hr, _ := http.NewRequest("POST", e.ts.URL+objectsPath(colShared), struct{ *bytes.Reader }{bytes.NewReader(huge)})
		hr.ContentLength = -1 // chunked
		hr.Header.Set("Content-Type", MediaType)
		hr.SetBasicAuth("ana", e.tokens["ana"])
		resp, err := e.client.Do(hr)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 413 {
			t.Errorf("status %d, want 413", resp.StatusCode)
		}
	})
	t.Run("limits reported", func(t *testing.T) {
		var a apiRootResource
		e.get("ana", "/api1/", &a)
		if a.MaxContentLength != 64<<10 {
			t.Errorf("max_content_length %d", a.MaxContentLength)
		}
	})
	t.Run("at the object limit", func(t *testing.T) {
		st := e.mustPost("ana", colShared, many[:50]...)
		if st.SuccessCount != 50 || len(st.Successes) != 50 {
			t.Errorf("status %+v", st)
		}
	})
}

func ExampleNew() {
	// A node builds the server once and mounts it:
	//
	//	srv, err := taxii.New(taxii.Config{Store: st, NextKey: key, Logger: log})
	//	mux.Handle("/taxii2/", srv)
	//	mux.Handle("/api1/", srv)
	fmt.Println(DiscoveryPath, APIRootPath)
	// Output: /taxii2/ /api1/
}
