package stix_test

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/entente/entente/internal/stix"
)

func addValidSeeds(f *testing.F) {
	files, _ := filepath.Glob("testdata/valid/*.json")
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
}

// FuzzParse: Parse never panics, fails only with *ValidationError, and
// whatever it accepts parses again from its Raw to the same Object.
func FuzzParse(f *testing.F) {
	addValidSeeds(f)
	f.Add([]byte(`{"type":"x-y","id":"x-y--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f","extensions":{"extension-definition--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f":{"extension_type":"new-sco"}}}`))
	f.Fuzz(func(t *testing.T, raw []byte) {
		o, err := stix.Parse(raw)
		if err != nil {
			var ve *stix.ValidationError
			if !errors.As(err, &ve) {
				t.Fatalf("error %v is not a *ValidationError", err)
			}
			return
		}
		again, err := stix.Parse(o.Raw)
		if err != nil {
			t.Fatalf("Raw %s no longer parses: %v", o.Raw, err)
		}
		if !reflect.DeepEqual(o, again) {
			t.Fatalf("re-parse differs:\n%+v\n%+v", o, again)
		}
	})
}

// FuzzParseEnvelope: ParseEnvelope never panics, fails only with one of its
// four error kinds, and returns only JSON objects.
func FuzzParseEnvelope(f *testing.F) {
	f.Add(indicatorBundle(2))
	f.Add([]byte(`{"objects":[],"more":true}`))
	f.Add([]byte(`{"objects":[{"a":"\"[[["}]}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		objs, err := stix.ParseEnvelope(body, stix.Limits{MaxObjects: 50, MaxDepth: 8})
		if err != nil {
			for _, kind := range []error{stix.ErrTooDeep, stix.ErrTooManyObjects, stix.ErrMalformedJSON, stix.ErrNotEnvelope} {
				if errors.Is(err, kind) {
					return
				}
			}
			t.Fatalf("unclassified error %v", err)
		}
		if len(objs) > 50 {
			t.Fatalf("%d objects past the limit", len(objs))
		}
		for _, o := range objs {
			if len(o) == 0 || o[0] != '{' {
				t.Fatalf("not an object: %s", o)
			}
		}
	})
}
