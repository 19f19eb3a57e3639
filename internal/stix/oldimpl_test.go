package stix

// The implementation of ParseEnvelope and of Parse's decoding step before
// the single-pass scanner (scan.go), kept as the reference the differential
// fuzz tests compare against. Do not use outside tests.

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"
	"unicode/utf8"
)

// oldDecodeTop is the old first half of Parse: compact, check, decode the
// top level into a map.
func oldDecodeTop(raw []byte) (*object, []byte, error) {
	var buf bytes.Buffer
	buf.Grow(len(raw))
	if err := json.Compact(&buf, raw); err != nil {
		return nil, nil, &ValidationError{Reason: "malformed JSON: " + err.Error()}
	}
	compact := buf.Bytes()
	if len(compact) == 0 || compact[0] != '{' {
		return nil, nil, &ValidationError{Reason: "not a JSON object"}
	}
	if !utf8.Valid(compact) {
		return nil, nil, &ValidationError{Reason: "not valid UTF-8"}
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(compact, &m); err != nil {
		return nil, nil, &ValidationError{Reason: "malformed JSON: " + err.Error()}
	}
	if oldTopLevelKeys(compact) != len(m) {
		return nil, nil, &ValidationError{Reason: "a property name is given twice"}
	}
	// The properties in random order, as the old checks saw them, their
	// values laid end to end.
	o := &object{}
	for k, v := range m {
		start := len(o.props.data)
		o.props.data = append(o.props.data, v...)
		o.props.add(k, start, len(o.props.data))
	}
	return o, compact, nil
}

// oldTopLevelKeys counts the names of a valid JSON object: the colons at
// depth 1 outside strings.
func oldTopLevelKeys(b []byte) int {
	n, depth, inString := 0, 0, false
	for i := 0; i < len(b); i++ {
		c := b[i]
		if inString {
			switch c {
			case '\\':
				i++
			case '"':
				inString = false
			}
			continue
		}
		switch c {
		case '"':
			inString = true
		case '{', '[':
			depth++
		case '}', ']':
			depth--
		case ':':
			if depth == 1 {
				n++
			}
		}
	}
	return n
}

func oldParseEnvelope(body []byte, lim Limits) ([]json.RawMessage, error) {
	if lim.MaxObjects <= 0 {
		lim.MaxObjects = defaultMaxObjects
	}
	if lim.MaxDepth <= 0 {
		lim.MaxDepth = defaultMaxDepth
	}
	if err := oldCheckDepth(body, lim.MaxDepth); err != nil {
		return nil, err
	}
	if first := oldFirstByte(body); first != '{' {
		if first == 0 || !json.Valid(body) {
			return nil, fmt.Errorf("%w: body is not JSON", ErrMalformedJSON)
		}
		return nil, fmt.Errorf("%w: body is not a JSON object", ErrNotEnvelope)
	}

	dec := json.NewDecoder(bytes.NewReader(body))
	if _, err := dec.Token(); err != nil { // the '{' seen above
		return nil, oldDecodeError(err)
	}
	var (
		objects    []json.RawMessage
		sawObjects bool
		typ, id    *string
	)
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, oldDecodeError(err)
		}
		key, _ := tok.(string) // the decoder guarantees a string key here
		switch key {
		case "objects":
			if sawObjects {
				return nil, fmt.Errorf("%w: \"objects\" given twice", ErrNotEnvelope)
			}
			sawObjects = true
			if objects, err = oldDecodeObjects(dec, lim.MaxObjects); err != nil {
				return nil, err
			}
		case "type", "id":
			var s string
			if err := dec.Decode(&s); err != nil {
				return nil, oldDecodeError(err)
			}
			if key == "type" {
				typ = &s
			} else {
				id = &s
			}
		default:
			// more, next, spec_version (STIX 2.0 bundles) and anything
			// else are not needed to ingest the objects.
			var skip json.RawMessage
			if err := dec.Decode(&skip); err != nil {
				return nil, oldDecodeError(err)
			}
		}
	}
	if _, err := dec.Token(); err != nil { // '}'
		return nil, oldDecodeError(err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, fmt.Errorf("%w: data after the top-level object", ErrMalformedJSON)
	}

	if typ != nil {
		if *typ != "bundle" {
			return nil, fmt.Errorf("%w: top-level type %.64q: want a bundle or an envelope", ErrNotEnvelope, *typ)
		}
		if id == nil {
			return nil, fmt.Errorf("%w: bundle without id", ErrNotEnvelope)
		}
		if t, ok := splitID(*id); !ok || t != "bundle" {
			return nil, fmt.Errorf("%w: bundle id %.80q: want bundle--<uuid>", ErrNotEnvelope, *id)
		}
	}
	return objects, nil
}

// decodeObjects reads the objects array, counting before it decodes each
// element so MaxObjects bounds the allocation.
func oldDecodeObjects(dec *json.Decoder, max int) ([]json.RawMessage, error) {
	tok, err := dec.Token()
	if err != nil {
		return nil, oldDecodeError(err)
	}
	if tok != json.Delim('[') {
		return nil, fmt.Errorf("%w: \"objects\" is not a list", ErrNotEnvelope)
	}
	var objects []json.RawMessage
	for dec.More() {
		if len(objects) == max {
			return nil, fmt.Errorf("%w: more than %d", ErrTooManyObjects, max)
		}
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return nil, oldDecodeError(err)
		}
		if raw[0] != '{' {
			return nil, fmt.Errorf("%w: objects[%d] is not a JSON object", ErrNotEnvelope, len(objects))
		}
		objects = append(objects, raw)
	}
	if _, err := dec.Token(); err != nil { // ']'
		return nil, oldDecodeError(err)
	}
	return objects, nil
}

// decodeError classifies a decoder error: broken JSON, or well-formed JSON
// of the wrong shape.
func oldDecodeError(err error) error {
	var syn *json.SyntaxError
	if errors.As(err, &syn) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
		return fmt.Errorf("%w: %v", ErrMalformedJSON, err)
	}
	return fmt.Errorf("%w: %v", ErrNotEnvelope, err)
}

// checkDepth fails when brackets nest deeper than max. It tracks only
// strings and brackets; syntax is left to the decoder.
func oldCheckDepth(b []byte, max int) error {
	depth := 0
	inString := false
	for i := 0; i < len(b); i++ {
		c := b[i]
		if inString {
			switch c {
			case '\\':
				i++ // skip the escaped byte, which may be a quote
			case '"':
				inString = false
			}
			continue
		}
		switch c {
		case '"':
			inString = true
		case '{', '[':
			depth++
			if depth > max {
				return fmt.Errorf("%w: deeper than %d at byte %d", ErrTooDeep, max, i)
			}
		case '}', ']':
			depth--
		}
	}
	return nil
}

// firstByte returns the first non-space byte of b, or 0.
func oldFirstByte(b []byte) byte {
	for _, c := range b {
		switch c {
		case ' ', '\t', '\r', '\n':
			continue
		}
		return c
	}
	return 0
}

// oldTimestampLayout parses every STIX timestamp once its shape is checked;
// the fractional part is optional in it.
const oldTimestampLayout = "2006-01-02T15:04:05.999999999Z"

// oldParseTimestamp reads a STIX 2.1 timestamp (section 3.2):
// YYYY-MM-DDTHH:MM:SS[.s+]Z, always in UTC with a literal Z. It accepts at
// most nine fractional digits, the precision of time.Time, and rejects the
// leap second 60, which time.Time cannot hold. TAXII query parameters such
// as added_after use the same form.
func oldParseTimestamp(s string) (time.Time, error) {
	const minLen = len("2006-01-02T15:04:05Z")
	if len(s) < minLen || len(s) > minLen+10 {
		return time.Time{}, fmt.Errorf("timestamp %.40q: want YYYY-MM-DDTHH:MM:SS[.s]Z", s)
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		var ok bool
		switch {
		case i == 4 || i == 7:
			ok = c == '-'
		case i == 10:
			ok = c == 'T'
		case i == 13 || i == 16:
			ok = c == ':'
		case i == len(s)-1:
			ok = c == 'Z'
		case i == 19:
			ok = c == '.' && len(s) > minLen+1
		default:
			ok = '0' <= c && c <= '9'
		}
		if !ok {
			return time.Time{}, fmt.Errorf("timestamp %.40q: want YYYY-MM-DDTHH:MM:SS[.s]Z", s)
		}
	}
	t, err := time.Parse(oldTimestampLayout, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("timestamp %q: out of range", s)
	}
	return t, nil
}
