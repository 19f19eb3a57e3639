package stix

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// Limits bound what ParseEnvelope accepts from a client.
type Limits struct {
	// MaxObjects is the most objects one envelope may carry. Optional;
	// zero means 100,000.
	MaxObjects int
	// MaxDepth is the deepest JSON nesting allowed, counting the envelope
	// itself as 1. Optional; zero means 32.
	MaxDepth int
}

const (
	defaultMaxObjects = 100000
	defaultMaxDepth   = 32
)

// ParseEnvelope splits a TAXII 2.1 envelope ({"objects":[...], "more":...})
// or a STIX 2.1 bundle ({"type":"bundle","id":"bundle--...","objects":[...]})
// into its objects, each still undecoded, for Parse. An envelope without
// objects yields none.
//
// The nesting depth is checked by a byte scan before any decoding, and
// objects are counted as they are decoded, so a hostile body costs at most
// one pass and MaxObjects allocations. Errors wrap ErrTooDeep,
// ErrTooManyObjects, ErrMalformedJSON or ErrNotEnvelope.
func ParseEnvelope(body []byte, lim Limits) ([]json.RawMessage, error) {
	if lim.MaxObjects <= 0 {
		lim.MaxObjects = defaultMaxObjects
	}
	if lim.MaxDepth <= 0 {
		lim.MaxDepth = defaultMaxDepth
	}
	if err := checkDepth(body, lim.MaxDepth); err != nil {
		return nil, err
	}
	if first := firstByte(body); first != '{' {
		if first == 0 || !json.Valid(body) {
			return nil, fmt.Errorf("%w: body is not JSON", ErrMalformedJSON)
		}
		return nil, fmt.Errorf("%w: body is not a JSON object", ErrNotEnvelope)
	}

	dec := json.NewDecoder(bytes.NewReader(body))
	if _, err := dec.Token(); err != nil { // the '{' seen above
		return nil, decodeError(err)
	}
	var (
		objects    []json.RawMessage
		sawObjects bool
		typ, id    *string
	)
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, decodeError(err)
		}
		key, _ := tok.(string) // the decoder guarantees a string key here
		switch key {
		case "objects":
			if sawObjects {
				return nil, fmt.Errorf("%w: \"objects\" given twice", ErrNotEnvelope)
			}
			sawObjects = true
			if objects, err = decodeObjects(dec, lim.MaxObjects); err != nil {
				return nil, err
			}
		case "type", "id":
			var s string
			if err := dec.Decode(&s); err != nil {
				return nil, decodeError(err)
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
				return nil, decodeError(err)
			}
		}
	}
	if _, err := dec.Token(); err != nil { // '}'
		return nil, decodeError(err)
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
func decodeObjects(dec *json.Decoder, max int) ([]json.RawMessage, error) {
	tok, err := dec.Token()
	if err != nil {
		return nil, decodeError(err)
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
			return nil, decodeError(err)
		}
		if raw[0] != '{' {
			return nil, fmt.Errorf("%w: objects[%d] is not a JSON object", ErrNotEnvelope, len(objects))
		}
		objects = append(objects, raw)
	}
	if _, err := dec.Token(); err != nil { // ']'
		return nil, decodeError(err)
	}
	return objects, nil
}

// decodeError classifies a decoder error: broken JSON, or well-formed JSON
// of the wrong shape.
func decodeError(err error) error {
	var syn *json.SyntaxError
	if errors.As(err, &syn) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
		return fmt.Errorf("%w: %v", ErrMalformedJSON, err)
	}
	return fmt.Errorf("%w: %v", ErrNotEnvelope, err)
}

// checkDepth fails when brackets nest deeper than max. It tracks only
// strings and brackets; syntax is left to the decoder.
func checkDepth(b []byte, max int) error {
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
func firstByte(b []byte) byte {
	for _, c := range b {
		switch c {
		case ' ', '\t', '\r', '\n':
			continue
		}
		return c
	}
	return 0
}
