package stix

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"
)

// The tests here compare the scanner and what is built on it with
// encoding/json and with the implementation it replaced (oldimpl_test.go).

func TestScannerAgreesWithEncodingJSON(t *testing.T) {
	tests := []string{
		``, ` `, `{}`, `[]`, `""`, `"`, `0`, `-0`, `01`, `-`, `1.`, `1.5`, `1e`, `1e+`, `1E-7`, `.5`, `+1`,
		`true`, `tru`, `truex`, `null`, `nul`, `false`, `[1,]`, `[,1]`, `{"a":1,}`, `{"a" 1}`, `{a:1}`,
		`"\u00e9"`, `"\u00g9"`, `"\x"`, `"\/"`, "\"\t\"", "\"\x7f\"", "\"\xff\"", `"\ud800"`,
		"{\"a\":[1, 2 ,{\"b\":null}]}\n", `{"a":1}{}`, `[[[]]]`, `[[[]]`, `1 2`,
		strings.Repeat("[", maxNesting) + strings.Repeat("]", maxNesting),
		strings.Repeat("[", maxNesting+1) + strings.Repeat("]", maxNesting+1),
	}
	for _, in := range tests {
		checkScanner(t, []byte(in), maxNesting)
	}
}

// checkScanner fails when the scanner's verdict on b differs from
// encoding/json's, or its depth bound from a count of brackets.
func checkScanner(t *testing.T, b []byte, maxDepth int) {
	t.Helper()
	s := scanner{data: b, maxDepth: maxDepth}
	ok := s.document() != scanFail
	valid := json.Valid(b)
	deep := oldCheckDepth(b, maxDepth) != nil
	switch {
	case !valid && ok:
		t.Fatalf("%.80q: scanner accepts invalid JSON", b)
	case valid && ok == deep:
		t.Fatalf("%.80q: scanner ok %v, deeper than %d %v", b, ok, maxDepth, deep)
	case valid && !ok && !s.tooDeep:
		t.Fatalf("%.80q: valid JSON failed but not as too deep", b)
	case ok && s.badUTF8 == utf8.Valid(b):
		t.Fatalf("%.80q: badUTF8 %v", b, s.badUTF8)
	}
	if ok {
		var buf bytes.Buffer
		if err := json.Compact(&buf, b); err != nil {
			t.Fatal(err)
		}
		if s.space != !bytes.Equal(buf.Bytes(), b) {
			t.Fatalf("%.80q: space %v", b, s.space)
		}
	}
}

func FuzzScanner(f *testing.F) {
	for _, s := range []string{`{"a":[1,-2.5e3,true,false,null,"\u00e9\n"]}`, `[[[]]]`, "\"\xff\"", ` 1 `} {
		f.Add([]byte(s), uint8(3))
	}
	f.Fuzz(func(t *testing.T, b []byte, depth uint8) {
		checkScanner(t, b, int(depth%16)+1)
	})
}

// FuzzDecodeTop compares Parse's decoding step with the old one: the same
// error, or the same compact bytes and the same properties.
func FuzzDecodeTop(f *testing.F) {
	addValidFiles(f)
	for _, s := range []string{`{"a":1,"a":2}`, `{"a":1,"\u0061":2}`, `{"\ud800":1,"\ufffd":2}`, " { \"type\" : \"x\" } ", `[]`, "{\"a\":\"\xff\"}"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		in := bytes.Clone(raw)
		o, compact, err := decodeTop(in)
		wantO, wantCompact, wantErr := oldDecodeTop(raw)
		if !reflect.DeepEqual(err, wantErr) {
			t.Fatalf("%.80q: error %v, want %v", raw, err, wantErr)
		}
		if err != nil {
			return
		}
		clear(in) // the result must not alias the input
		if !bytes.Equal(compact, wantCompact) {
			t.Fatalf("%.80q: compact %q, want %q", raw, compact, wantCompact)
		}
		if len(o.props.list) != len(wantO.props.list) {
			t.Fatalf("%.80q: %d properties, want %d", raw, len(o.props.list), len(wantO.props.list))
		}
		for i, p := range wantO.props.list {
			if got, ok := o.props.get(p.name); !ok || !bytes.Equal(got, wantO.props.value(i)) {
				t.Fatalf("%.80q: property %q = %q, want %q", raw, p.name, got, wantO.props.value(i))
			}
		}
	})
}

// FuzzParseDifferential compares Parse with the old decoding step followed
// by the same validation. Which of several bad properties is reported
// depends on map order, so failures compare only as failures.
func FuzzParseDifferential(f *testing.F) {
	addValidFiles(f)
	f.Fuzz(func(t *testing.T, raw []byte) {
		got, err := Parse(raw)
		var want *Object
		o, compact, wantErr := oldDecodeTop(raw)
		if wantErr == nil {
			want, wantErr = o.validate(compact)
		}
		if (err == nil) != (wantErr == nil) {
			t.Fatalf("%.80q: error %v, want %v", raw, err, wantErr)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("%.80q: got %+v, want %+v", raw, got, want)
		}
	})
}

// FuzzParseEnvelopeDifferential compares ParseEnvelope with the old one:
// the same objects, or an error of the same kind. Malformed JSON is
// described by encoding/json's scanner now rather than its decoder, so
// only those messages may differ.
func FuzzParseEnvelopeDifferential(f *testing.F) {
	for _, s := range []string{
		`{"type":"bundle","id":"bundle--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f","objects":[{"a":1}, {"b":[2]}]}`,
		`{"objects":[],"more":true}`, `{"objects":[{"a":"\"[[["}]}`, ` {"objects" : [ {} , {} ] } `,
		`{"objects":[1`, `{"objects":[{},{},`, `{"type":null}`, `{"obj\u0065cts":{`, `[[[[[[[[[[`, `{"objects":[{}]} x`,
	} {
		f.Add([]byte(s), uint8(2), uint8(4))
	}
	f.Fuzz(func(t *testing.T, body []byte, maxObjects, maxDepth uint8) {
		lim := Limits{MaxObjects: int(maxObjects % 8), MaxDepth: int(maxDepth % 12)}
		in := bytes.Clone(body)
		got, err := ParseEnvelope(in, lim)
		want, wantErr := oldParseEnvelope(body, lim)
		if (err == nil) != (wantErr == nil) {
			t.Fatalf("%.80q %+v: error %v, want %v", body, lim, err, wantErr)
		}
		if err != nil {
			kind := errorKind(err)
			if kind == nil || kind != errorKind(wantErr) {
				t.Fatalf("%.80q %+v: error %v, want %v", body, lim, err, wantErr)
			}
			if kind != ErrMalformedJSON && err.Error() != wantErr.Error() {
				t.Fatalf("%.80q %+v: error %q, want %q", body, lim, err, wantErr)
			}
			return
		}
		clear(in) // the objects must not alias the body
		if len(got) != len(want) {
			t.Fatalf("%.80q: %d objects, want %d", body, len(got), len(want))
		}
		for i := range want {
			if !bytes.Equal(got[i], want[i]) {
				t.Fatalf("%.80q: objects[%d] = %q, want %q", body, i, got[i], want[i])
			}
		}
	})
}

func errorKind(err error) error {
	for _, kind := range []error{ErrTooDeep, ErrTooManyObjects, ErrMalformedJSON, ErrNotEnvelope} {
		if errors.Is(err, kind) {
			return kind
		}
	}
	return nil
}

// FuzzParseTimestampDifferential compares ParseTimestamp with the old one,
// which used time.Parse.
func FuzzParseTimestampDifferential(f *testing.F) {
	for _, s := range []string{"2016-05-12T08:17:27Z", "2016-05-12T08:17:27.123456789Z", "2000-02-29T23:59:59.1Z", "1900-02-29T00:00:00Z", "0000-01-01T00:00:00Z"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := ParseTimestamp(s)
		want, wantErr := oldParseTimestamp(s)
		if !got.Equal(want) || got.Location() != want.Location() || !reflect.DeepEqual(err, wantErr) {
			t.Fatalf("%q: %v, %v; want %v, %v", s, got, err, want, wantErr)
		}
	})
}

func addValidFiles(f *testing.F) {
	files, _ := filepath.Glob("testdata/valid/*.json")
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
}

// TestDecodeTopManyProperties crosses the size where props starts an
// index, with and without a repeated name, and shows a hostile object with
// many names costs linear time (a quadratic scan would time the test out).
func TestDecodeTopManyProperties(t *testing.T) {
	for _, n := range []int{propsIndexed - 1, propsIndexed, propsIndexed + 1, 3 * propsIndexed, 100000} {
		for _, dup := range []string{"", `,"x_p0":1`, `,"x_p` + strconv.Itoa(n-1) + `":1`, `,"\u0078_p1":1`} {
			var b strings.Builder
			b.WriteString(`{`)
			for i := range n {
				if i > 0 {
					b.WriteByte(',')
				}
				fmt.Fprintf(&b, `"x_p%d":%d`, i, i)
			}
			b.WriteString(dup + `}`)
			raw := []byte(b.String())
			o, _, err := decodeTop(raw)
			_, _, wantErr := oldDecodeTop(raw)
			if !reflect.DeepEqual(err, wantErr) {
				t.Fatalf("%d properties %s: error %v, want %v", n, dup, err, wantErr)
			}
			if err != nil {
				continue
			}
			if len(o.props.list) != n {
				t.Fatalf("%d properties, got %d", n, len(o.props.list))
			}
			for _, i := range []int{0, n / 2, n - 1} {
				name := "x_p" + strconv.Itoa(i)
				if v, ok := o.props.get(name); !ok || string(v) != strconv.Itoa(i) {
					t.Fatalf("%d properties: %s = %s, %v", n, name, v, ok)
				}
			}
			if _, ok := o.props.get("x_p" + strconv.Itoa(n)); ok {
				t.Fatalf("%d properties: found one too many", n)
			}
		}
	}
}

// BenchmarkScanner measures the syntax check alone over a bundle of
// indicators.
func BenchmarkScanner(b *testing.B) {
	body := benchBundle(1000)
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		s := scanner{data: body, maxDepth: maxNesting}
		if s.document() == scanFail {
			b.Fatal("invalid")
		}
	}
}

// benchBundle is n indicators in a bundle, as envelope_test.go's
// indicatorBundle builds them (that one is in package stix_test).
func benchBundle(n int) []byte {
	var b bytes.Buffer
	b.WriteString(`{"type":"bundle","id":"bundle--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f","objects":[`)
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"type":"indicator","spec_version":"2.1","id":"indicator--%08x-17d4-4cbf-938f-98ee46b3cd3f",`+
			`"created":"2026-03-01T10:00:00.000Z","modified":"2026-03-01T10:00:00.000Z","name":"wallet %d",`+
			`"pattern":"[cryptocurrency-wallet:value = 'bc1qa5wkgaew2dkv56kfvj49j0av5nml45x9ek9hz6']","pattern_type":"stix",`+
			`"valid_from":"2026-03-01T10:00:00Z","indicator_types":["malicious-activity"],`+
			`"object_marking_refs":["%s"]}`, i, i, MarkingTLPAmber)
	}
	b.WriteString(`]}`)
	return b.Bytes()
}
