package chainapi

import (
	"bytes"
	"encoding/json"
	"reflect"
	"testing"
)

// FuzzDecodeTags: decodeTags never panics, and what it accepts survives a
// round trip through JSON unchanged.
func FuzzDecodeTags(f *testing.F) {
	for _, s := range []string{
		`[{"address":"1BoatSLRHtKNngkdXEeobR76b53LETtpyT","category":"exchange","confidence":50}]`,
		`[]`, `[{}]`, `{}`, `[`, `[{"address":1}]`, `[{"nope":1}]`, `[{}] x`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		tags, err := decodeTags(bytes.NewReader(b))
		if err != nil {
			return
		}
		if len(tags) == 0 || len(tags) > maxPostTags {
			t.Fatalf("accepted %d tags", len(tags))
		}
		out, err := json.Marshal(tags)
		if err != nil {
			t.Fatal(err)
		}
		again, err := decodeTags(bytes.NewReader(out))
		if err != nil {
			t.Fatalf("re-decoding %s: %v", out, err)
		}
		if !reflect.DeepEqual(tags, again) {
			t.Fatalf("round trip changed %v to %v", tags, again)
		}
	})
}
