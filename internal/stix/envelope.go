package stix

import (
	"bytes"
	"encoding/json"
	"fmt"
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
// objects yields none. The objects are copies: the caller may reuse body.
//
// It reads the body in one pass, which checks the JSON syntax, bounds the
// nesting depth and counts objects before keeping each, so a hostile body
// costs at most one pass and MaxObjects spans. Errors wrap ErrTooDeep,
// ErrTooManyObjects, ErrMalformedJSON or ErrNotEnvelope; when a body has
// several faults, the depth is reported first, then the first fault in
// the body.
func ParseEnvelope(body []byte, lim Limits) ([]json.RawMessage, error) {
	env, err := ReadEnvelope(body, lim)
	return env.Objects, err
}

// Envelope is a TAXII 2.1 envelope as a client reads it.
type Envelope struct {
	Objects []json.RawMessage
	More    bool
	Next    string
}

// ReadEnvelope is ParseEnvelope for clients: it also returns the
// envelope's more and next properties.
func ReadEnvelope(body []byte, lim Limits) (Envelope, error) {
	if lim.MaxObjects <= 0 {
		lim.MaxObjects = defaultMaxObjects
	}
	if lim.MaxDepth <= 0 {
		lim.MaxDepth = defaultMaxDepth
	}
	e := envelope{s: scanner{data: body, maxDepth: lim.MaxDepth}, maxObjects: lim.MaxObjects}
	if err := e.split(); err != nil {
		// The scan stops at the first fault; too deep a body is reported
		// as such wherever its depth is, even after a syntax error.
		if derr := checkDepth(body, lim.MaxDepth); derr != nil {
			return Envelope{}, derr
		}
		return Envelope{}, err
	}
	if e.typ != nil {
		if *e.typ != "bundle" {
			return Envelope{}, fmt.Errorf("%w: top-level type %.64q: want a bundle or an envelope", ErrNotEnvelope, *e.typ)
		}
		if e.id == nil {
			return Envelope{}, fmt.Errorf("%w: bundle without id", ErrNotEnvelope)
		}
		if t, ok := splitID(*e.id); !ok || t != "bundle" {
			return Envelope{}, fmt.Errorf("%w: bundle id %.80q: want bundle--<uuid>", ErrNotEnvelope, *e.id)
		}
	}
	env := Envelope{More: e.more, Next: e.next}
	if len(e.spans) == 0 {
		return env, nil
	}
	// One copy for all objects; each capped so that appending to one
	// cannot overwrite the next.
	lo, hi := e.spans[0][0], e.spans[len(e.spans)-1][1]
	buf := bytes.Clone(body[lo:hi])
	objects := make([]json.RawMessage, len(e.spans))
	for i, sp := range e.spans {
		objects[i] = buf[sp[0]-lo : sp[1]-lo : sp[1]-lo]
	}
	env.Objects = objects
	return env, nil
}

// envelope is the state of ParseEnvelope's scan of a body.
type envelope struct {
	s          scanner
	maxObjects int

	spans   [][2]int // the objects, as offsets into the body
	typ, id *string
	more    bool
	next    string
}

// split scans the body and records its objects, type and id. It reports
// the first fault in the body, judging each value only once it has read
// it whole, as the streaming decoder it replaced did: a bundle type that
// is an object cut short is malformed JSON, a whole one is not a string.
func (e *envelope) split() error {
	s, b := &e.s, e.s.data
	i := s.skipSpace(0)
	if i >= len(b) || b[i] != '{' {
		if i >= len(b) || !json.Valid(b) {
			return fmt.Errorf("%w: body is not JSON", ErrMalformedJSON)
		}
		return fmt.Errorf("%w: body is not a JSON object", ErrNotEnvelope)
	}
	sawObjects := false
	if i = s.skipSpace(i + 1); i < len(b) && b[i] == '}' {
		return e.end(i)
	}
	for {
		if i >= len(b) || b[i] != '"' {
			return e.malformed()
		}
		k0 := i
		if i = s.str(i); i == scanFail {
			return e.malformed()
		}
		key := propertyName(b[k0:i])
		if key == "objects" {
			if sawObjects {
				return fmt.Errorf("%w: \"objects\" given twice", ErrNotEnvelope)
			}
			sawObjects = true
		}
		if i = s.skipSpace(i); i >= len(b) || b[i] != ':' {
			return e.malformed()
		}
		v0 := s.skipSpace(i + 1)
		var err error
		switch key {
		case "objects":
			i, err = e.objects(v0)
		case "type", "id":
			i, err = e.str(v0, key)
		case "more", "next":
			// Read for clients (ReadEnvelope); a bad value is no reason
			// to refuse the objects.
			if i = s.value(v0, 1); i == scanFail {
				err = e.malformed()
			} else if key == "more" {
				_ = json.Unmarshal(b[v0:i], &e.more)
			} else {
				_ = json.Unmarshal(b[v0:i], &e.next)
			}
		default:
			// spec_version (STIX 2.0 bundles) and anything else are not
			// needed to ingest the objects.
			if i = s.value(v0, 1); i == scanFail {
				err = e.malformed()
			}
		}
		if err != nil {
			return err
		}
		switch i = s.skipSpace(i); {
		case i >= len(b):
			return e.malformed()
		case b[i] == '}':
			return e.end(i)
		case b[i] != ',':
			return e.malformed()
		}
		i = s.skipSpace(i + 1)
	}
}

// end checks that nothing but space follows the '}' at i.
func (e *envelope) end(i int) error {
	if e.s.skipSpace(i+1) != len(e.s.data) {
		return fmt.Errorf("%w: data after the top-level object", ErrMalformedJSON)
	}
	return nil
}

// objects scans the objects list at i, counting before it scans each
// element so that MaxObjects bounds the spans kept.
func (e *envelope) objects(i int) (int, error) {
	s, b := &e.s, e.s.data
	if i < len(b) && b[i] == '{' {
		return 0, fmt.Errorf("%w: \"objects\" is not a list", ErrNotEnvelope)
	}
	if i >= len(b) || b[i] != '[' {
		if i = s.value(i, 1); i == scanFail {
			return 0, e.malformed()
		}
		return 0, fmt.Errorf("%w: \"objects\" is not a list", ErrNotEnvelope)
	}
	if !s.enter(1) {
		return 0, e.malformed()
	}
	i = s.skipSpace(i + 1)
	for n := 0; ; n++ {
		if i >= len(b) || b[i] == '}' {
			return 0, e.malformed()
		}
		if b[i] == ']' {
			return i + 1, nil
		}
		if n == e.maxObjects {
			return 0, fmt.Errorf("%w: more than %d", ErrTooManyObjects, e.maxObjects)
		}
		if n > 0 {
			if b[i] != ',' {
				return 0, e.malformed()
			}
			i = s.skipSpace(i + 1)
		}
		v0 := i
		if i = s.value(i, 2); i == scanFail {
			return 0, e.malformed()
		}
		if b[v0] != '{' {
			return 0, fmt.Errorf("%w: objects[%d] is not a JSON object", ErrNotEnvelope, n)
		}
		e.spans = append(e.spans, [2]int{v0, i})
		i = s.skipSpace(i)
	}
}

// str scans the value of the envelope's type or id at i, which must be a
// string (or null, read as "").
func (e *envelope) str(i int, key string) (int, error) {
	end := e.s.value(i, 1)
	if end == scanFail {
		return 0, e.malformed()
	}
	v := new(string)
	if err := json.Unmarshal(e.s.data[i:end], v); err != nil {
		return 0, fmt.Errorf("%w: %v", ErrNotEnvelope, err)
	}
	if key == "type" {
		e.typ = v
	} else {
		e.id = v
	}
	return end, nil
}

// malformed describes the fault the scan stopped at.
func (e *envelope) malformed() error {
	if e.s.tooDeep {
		return fmt.Errorf("%w: deeper than %d", ErrTooDeep, e.s.maxDepth)
	}
	return fmt.Errorf("%w: %s", ErrMalformedJSON, syntaxError(e.s.data))
}

// checkDepth fails when brackets nest deeper than max. It tracks only
// strings and brackets, so that a syntax error before the depth does not
// hide it; it runs only once the scan has failed.
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
