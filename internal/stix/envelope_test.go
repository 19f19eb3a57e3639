package stix_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/entente/entente/internal/stix"
)

func TestParseEnvelope(t *testing.T) {
	obj := `{"type":"url","id":"url--` + uuidA + `","value":"https://x"}`
	tests := []struct {
		name    string
		body    string
		lim     stix.Limits
		want    int
		wantErr error
	}{
		{name: "envelope", body: `{"more":false,"objects":[` + obj + `,` + obj + `]}`, want: 2},
		{name: "bundle", body: `{"type":"bundle","id":"bundle--` + uuidB + `","objects":[` + obj + `]}`, want: 1},
		{name: "bundle 2.0 spec_version", body: `{"type":"bundle","id":"bundle--` + uuidB + `","spec_version":"2.0","objects":[` + obj + `]}`, want: 1},
		{name: "empty envelope", body: `{}`, want: 0},
		{name: "empty objects", body: ` {"objects":[]} `, want: 0},
		{name: "unknown keys skipped", body: `{"next":"abc","x":{"a":[1,2]},"objects":[` + obj + `]}`, want: 1},
		{name: "at limit", body: `{"objects":[` + obj + `,` + obj + `]}`, lim: stix.Limits{MaxObjects: 2}, want: 2},
		{name: "too many", body: `{"objects":[` + obj + `,` + obj + `,` + obj + `]}`, lim: stix.Limits{MaxObjects: 2}, wantErr: stix.ErrTooManyObjects},
		{name: "too deep", body: `{"objects":[{"a":[[[[]]]]}]}`, lim: stix.Limits{MaxDepth: 5}, wantErr: stix.ErrTooDeep},
		{name: "depth ok", body: `{"objects":[{"a":[[]]}]}`, lim: stix.Limits{MaxDepth: 5}, want: 1},
		{name: "brackets in strings", body: `{"objects":[{"a":"[[[[[[\"[[[["}]}`, lim: stix.Limits{MaxDepth: 3}, want: 1},
		{name: "default depth", body: `{"objects":[` + strings.Repeat("[", 40) + strings.Repeat("]", 40) + `]}`, wantErr: stix.ErrTooDeep},
		{name: "malformed", body: `{"objects":[{"a":}]}`, wantErr: stix.ErrMalformedJSON},
		{name: "truncated", body: `{"objects":[` + obj, wantErr: stix.ErrMalformedJSON},
		{name: "empty body", body: ``, wantErr: stix.ErrMalformedJSON},
		{name: "garbage", body: `hello`, wantErr: stix.ErrMalformedJSON},
		{name: "trailing data", body: `{"objects":[]} {}`, wantErr: stix.ErrMalformedJSON},
		{name: "array", body: `[` + obj + `]`, wantErr: stix.ErrNotEnvelope},
		{name: "single object", body: obj, wantErr: stix.ErrNotEnvelope},
		{name: "bundle bad id", body: `{"type":"bundle","id":"report--` + uuidB + `","objects":[]}`, wantErr: stix.ErrNotEnvelope},
		{name: "bundle no id", body: `{"type":"bundle","objects":[]}`, wantErr: stix.ErrNotEnvelope},
		{name: "objects not list", body: `{"objects":{"a":1}}`, wantErr: stix.ErrNotEnvelope},
		{name: "object not object", body: `{"objects":[1]}`, wantErr: stix.ErrNotEnvelope},
		{name: "objects twice", body: `{"objects":[],"objects":[]}`, wantErr: stix.ErrNotEnvelope},
		{name: "type not string", body: `{"type":1,"objects":[]}`, wantErr: stix.ErrNotEnvelope},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := stix.ParseEnvelope([]byte(tt.body), tt.lim)
			if !errors.Is(err, tt.wantErr) || (tt.wantErr != nil) != (err != nil) {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
			if len(got) != tt.want {
				t.Errorf("%d objects, want %d", len(got), tt.want)
			}
			for _, o := range got {
				if !json.Valid(o) {
					t.Errorf("invalid object %s", o)
				}
			}
		})
	}
}

// TestParseEnvelopeTruncated cuts a valid bundle at every offset: each
// prefix must give an error, never a panic or a partial success.
func TestParseEnvelopeTruncated(t *testing.T) {
	body := indicatorBundle(3)
	for i := 0; i < len(body)-1; i++ {
		if _, err := stix.ParseEnvelope(body[:i], stix.Limits{}); err == nil {
			t.Fatalf("prefix of %d bytes accepted", i)
		}
	}
	objs, err := stix.ParseEnvelope(body, stix.Limits{})
	if err != nil || len(objs) != 3 {
		t.Fatalf("full body: %d objects, %v", len(objs), err)
	}
}

func indicatorBundle(n int) []byte {
	var b bytes.Buffer
	b.WriteString(`{"type":"bundle","id":"bundle--` + uuidB + `","objects":[`)
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"type":"indicator","spec_version":"2.1","id":"indicator--%08x-17d4-4cbf-938f-98ee46b3cd3f",`+
			`"created":"2026-03-01T10:00:00.000Z","modified":"2026-03-01T10:00:00.000Z","name":"wallet %d",`+
			`"pattern":"[cryptocurrency-wallet:value = 'bc1qa5wkgaew2dkv56kfvj49j0av5nml45x9ek9hz6']","pattern_type":"stix",`+
			`"valid_from":"2026-03-01T10:00:00Z","indicator_types":["malicious-activity"],`+
			`"object_marking_refs":["%s"]}`, i, i, stix.MarkingTLPAmber)
	}
	b.WriteString(`]}`)
	return b.Bytes()
}

// BenchmarkParseEnvelope measures the ingest path: split a bundle of 1,000
// indicators and parse each.
func BenchmarkParseEnvelope(b *testing.B) {
	const n = 1000
	body := indicatorBundle(n)
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	start := time.Now()
	for b.Loop() {
		objs, err := stix.ParseEnvelope(body, stix.Limits{})
		if err != nil || len(objs) != n {
			b.Fatal(err)
		}
		for _, raw := range objs {
			if _, err := stix.Parse(raw); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ReportMetric(float64(n*b.N)/time.Since(start).Seconds(), "objects/s")
}

func TestReadEnvelope(t *testing.T) {
	tests := []struct {
		name     string
		body     string
		wantN    int
		wantMore bool
		wantNext string
	}{
		{"page", `{"more":true,"next":"abc","objects":[{"a":1},{"b":2}]}`, 2, true, "abc"},
		{"last page", `{"objects":[{"a":1}],"more":false}`, 1, false, ""},
		{"empty", `{}`, 0, false, ""},
		{"bad more ignored", `{"more":"yes","objects":[{"a":1}]}`, 1, false, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env, err := stix.ReadEnvelope([]byte(tt.body), stix.Limits{})
			if err != nil {
				t.Fatal(err)
			}
			if len(env.Objects) != tt.wantN || env.More != tt.wantMore || env.Next != tt.wantNext {
				t.Errorf("got %d objects, more %v, next %q; want %d, %v, %q", len(env.Objects), env.More, env.Next, tt.wantN, tt.wantMore, tt.wantNext)
			}
		})
	}
}
