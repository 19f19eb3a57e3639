package stix

import (
	"bytes"
	"encoding/json"
	"unicode/utf8"
)

// The ingest path reads every byte of a body twice: once in ParseEnvelope
// to split it, once in Parse to find an object's top-level properties.
// encoding/json would read it about six times (a depth scan, the decoder's
// buffering, its validity check, skipping, compacting, unmarshalling into
// a map), so this file scans JSON by hand in one pass, to the grammar of
// RFC 8259 exactly as encoding/json accepts it (which does not reject
// invalid UTF-8 in strings: the scanner only reports it). Values the
// validation needs are then decoded one at a time, mostly without
// encoding/json. When the scanner finds an error, encoding/json is asked
// for its message, so error texts stay those of encoding/json.

// maxNesting is encoding/json's own nesting limit: deeper input is not
// valid JSON to it.
const maxNesting = 10000

// scanFail is the position scanner methods return on an error.
const scanFail = -1

// scanner checks the syntax of JSON in data. Its methods take the position
// of a value's first byte and return the position just after it, or
// scanFail.
type scanner struct {
	data     []byte
	maxDepth int // deepest nesting allowed, counting the outermost value as 1

	// top, when not nil, receives the properties of the outermost object,
	// which must be data.
	top *props

	space   bool // saw insignificant whitespace
	badUTF8 bool // a string holds bytes that are not UTF-8
	tooDeep bool // the failure was nesting deeper than maxDepth
	dupName bool // top would have received a property name twice
}

func (s *scanner) skipSpace(i int) int {
	for ; i < len(s.data); i++ {
		switch s.data[i] {
		case ' ', '\t', '\n', '\r':
			s.space = true
		default:
			return i
		}
	}
	return i
}

// value scans the value at i, nested in depth containers.
func (s *scanner) value(i, depth int) int {
	if i >= len(s.data) {
		return scanFail
	}
	switch c := s.data[i]; c {
	case '{':
		if !s.enter(depth) {
			return scanFail
		}
		return s.object(i, depth+1)
	case '[':
		if !s.enter(depth) {
			return scanFail
		}
		return s.array(i, depth+1)
	case '"':
		return s.str(i)
	case 't':
		return s.literal(i, "true")
	case 'f':
		return s.literal(i, "false")
	case 'n':
		return s.literal(i, "null")
	default:
		if c == '-' || '0' <= c && c <= '9' {
			return s.number(i)
		}
		return scanFail
	}
}

// enter reports whether a container may open inside depth others.
func (s *scanner) enter(depth int) bool {
	switch {
	case depth+1 > s.maxDepth:
		s.tooDeep = true
		return false
	case depth+1 > maxNesting:
		return false
	}
	return true
}

// object scans the object at i, at nesting depth.
func (s *scanner) object(i, depth int) int {
	i = s.skipSpace(i + 1)
	if i < len(s.data) && s.data[i] == '}' {
		return i + 1
	}
	for {
		if i >= len(s.data) || s.data[i] != '"' {
			return scanFail
		}
		k0 := i
		if i = s.str(i); i == scanFail {
			return scanFail
		}
		k1 := i
		if i = s.skipSpace(i); i >= len(s.data) || s.data[i] != ':' {
			return scanFail
		}
		v0 := s.skipSpace(i + 1)
		if i = s.value(v0, depth); i == scanFail {
			return scanFail
		}
		if depth == 1 && s.top != nil {
			if !s.top.add(propertyName(s.data[k0:k1]), v0, i) {
				s.dupName = true
			}
		}
		if i = s.skipSpace(i); i >= len(s.data) {
			return scanFail
		}
		switch s.data[i] {
		case ',':
			i = s.skipSpace(i + 1)
		case '}':
			return i + 1
		default:
			return scanFail
		}
	}
}

func (s *scanner) array(i, depth int) int {
	i = s.skipSpace(i + 1)
	if i < len(s.data) && s.data[i] == ']' {
		return i + 1
	}
	for {
		if i = s.value(i, depth); i == scanFail {
			return scanFail
		}
		if i = s.skipSpace(i); i >= len(s.data) {
			return scanFail
		}
		switch s.data[i] {
		case ',':
			i = s.skipSpace(i + 1)
		case ']':
			return i + 1
		default:
			return scanFail
		}
	}
}

// str scans the string whose opening quote is at i.
func (s *scanner) str(i int) int {
	b := s.data
	for i++; i < len(b); {
		for i < len(b) && plainByte[b[i]] {
			i++
		}
		if i >= len(b) {
			break
		}
		c := b[i]
		switch {
		case c == '"':
			return i + 1
		case c == '\\':
			if i+1 >= len(b) {
				return scanFail
			}
			switch b[i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i += 2
			case 'u':
				if i+5 >= len(b) || !isHex(b[i+2]) || !isHex(b[i+3]) || !isHex(b[i+4]) || !isHex(b[i+5]) {
					return scanFail
				}
				i += 6
			default:
				return scanFail
			}
		case c < 0x20:
			return scanFail
		case c < utf8.RuneSelf:
			i++
		default:
			r, n := utf8.DecodeRune(b[i:])
			if r == utf8.RuneError && n == 1 {
				s.badUTF8 = true
			}
			i += n
		}
	}
	return scanFail
}

// plainByte tells the bytes a string holds as they are, the common case
// str skips first: not a quote, a backslash, a control character or part
// of a multi-byte character. Read-only.
var plainByte = func() (t [256]bool) {
	for c := 0x20; c < utf8.RuneSelf; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

func (s *scanner) number(i int) int {
	b := s.data
	if b[i] == '-' {
		i++
	}
	switch {
	case i >= len(b):
		return scanFail
	case b[i] == '0':
		i++
	case '1' <= b[i] && b[i] <= '9':
		i = digits(b, i+1)
	default:
		return scanFail
	}
	if i < len(b) && b[i] == '.' {
		j := digits(b, i+1)
		if j == i+1 {
			return scanFail
		}
		i = j
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		j := digits(b, i)
		if j == i {
			return scanFail
		}
		i = j
	}
	return i
}

func digits(b []byte, i int) int {
	for i < len(b) && '0' <= b[i] && b[i] <= '9' {
		i++
	}
	return i
}

func (s *scanner) literal(i int, lit string) int {
	if len(s.data)-i < len(lit) || string(s.data[i:i+len(lit)]) != lit {
		return scanFail
	}
	return i + len(lit)
}

// document scans data as one JSON text: a value with optional whitespace
// around it. It returns the position of the value, or scanFail.
func (s *scanner) document() int {
	start := s.skipSpace(0)
	end := s.value(start, 0)
	if end == scanFail || s.skipSpace(end) != len(s.data) {
		return scanFail
	}
	return start
}

// syntaxError returns encoding/json's description of what is wrong with
// b, which the scanner found not to be JSON.
func syntaxError(b []byte) string {
	if err := json.Unmarshal(b, new(json.RawMessage)); err != nil {
		return err.Error()
	}
	return "invalid JSON" // unreachable while the scanner agrees with encoding/json
}

// propertyName returns the name of a property, given its quoted name in
// valid JSON. The names of common properties are constants,
// which saves an allocation per property.
func propertyName(quoted []byte) string {
	b := quoted[1 : len(quoted)-1]
	switch string(b) {
	case "type":
		return "type"
	case "spec_version":
		return "spec_version"
	case "id":
		return "id"
	case "created":
		return "created"
	case "modified":
		return "modified"
	case "created_by_ref":
		return "created_by_ref"
	case "name":
		return "name"
	case "description":
		return "description"
	case "labels":
		return "labels"
	case "confidence":
		return "confidence"
	case "lang":
		return "lang"
	case "revoked":
		return "revoked"
	case "external_references":
		return "external_references"
	case "object_marking_refs":
		return "object_marking_refs"
	case "granular_markings":
		return "granular_markings"
	case "extensions":
		return "extensions"
	case "pattern":
		return "pattern"
	case "pattern_type":
		return "pattern_type"
	case "pattern_version":
		return "pattern_version"
	case "valid_from":
		return "valid_from"
	case "valid_until":
		return "valid_until"
	case "indicator_types":
		return "indicator_types"
	case "kill_chain_phases":
		return "kill_chain_phases"
	case "value":
		return "value"
	case "defanged":
		return "defanged"
	case "object_refs":
		return "object_refs"
	case "source_ref":
		return "source_ref"
	case "target_ref":
		return "target_ref"
	case "relationship_type":
		return "relationship_type"
	}
	if bytes.IndexByte(b, '\\') < 0 {
		return string(b)
	}
	// Rare: let encoding/json unescape, replacing bad surrogates as it
	// does for every other value Parse decodes.
	var name string
	_ = json.Unmarshal(quoted, &name) // cannot fail: quoted is a valid JSON string
	return name
}
