package taxii

import (
	"io"
	"net/http"
	"testing"
)

// BenchmarkGetPage reads pages of 10,000 objects over TLS from SQLite: the
// server's share of the node's read target of 100,000 objects/s.
func BenchmarkGetPage(b *testing.B) {
	e := newEnv(b)
	var objs []string
	for n := range 10000 {
		objs = append(objs, indicator(n, 1, ""))
	}
	e.mustPost("ana", colShared, objs...)
	b.ReportAllocs()
	for b.Loop() {
		hr, _ := http.NewRequest("GET", e.ts.URL+objectsPath(colShared)+"?limit=10000", nil)
		hr.SetBasicAuth("rita", e.tokens["rita"])
		resp, err := e.client.Do(hr)
		if err != nil {
			b.Fatal(err)
		}
		n, _ := io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || n < 10000*100 {
			b.Fatalf("status %d, %d bytes", resp.StatusCode, n)
		}
	}
	b.ReportMetric(float64(10000*b.N)/b.Elapsed().Seconds(), "objects/s")
}

// BenchmarkPost adds envelopes of 1,000 new indicators.
func BenchmarkPost(b *testing.B) {
	e := newEnv(b)
	n := 0
	b.ReportAllocs()
	for b.Loop() {
		objs := make([]string, 1000)
		for i := range objs {
			objs[i] = indicator(n, 1, "")
			n++
		}
		e.mustPost("ana", colShared, objs...)
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "objects/s")
}
