package stix

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"time"
)

// Parse validates one STIX 2.1 object, given as the bytes of a JSON object,
// and returns it with its indexed properties filled in. Raw is the input
// compacted. Any error is a *ValidationError.
//
// See the package documentation for what is checked.
func Parse(raw []byte) (*Object, error) {
	o, compact, err := decodeTop(raw)
	if err != nil {
		return nil, err
	}
	return o.validate(compact)
}

// validate checks the object decoded by decodeTop, whose compact form is
// compact.
func (o *object) validate(compact []byte) (*Object, error) {
	typ, err := o.str("type", true)
	if err != nil {
		return nil, err
	}
	if !validType(typ) {
		return nil, o.errf("type", "%.64q is not a STIX type name", typ)
	}
	o.typ = typ
	if err := o.checkNames(); err != nil {
		return nil, err
	}
	id, err := o.str("id", true)
	if err != nil {
		return nil, err
	}
	if t, ok := splitID(id); !ok {
		return nil, o.errf("id", "%.80q: want %s--<RFC 4122 UUID>", id, typ)
	} else if t != typ {
		return nil, o.errf("id", "%.80q: type part is not %q", id, typ)
	}

	spec, err := o.spec()
	if err != nil {
		return nil, err
	}
	obj := &Object{Type: typ, ID: id, SpecVersion: "2.1", Raw: json.RawMessage(compact)}
	switch spec.kind {
	case kindSCO:
		err = o.checkSCOCommon()
	case kindMarking:
		obj.Created, err = o.checkMarkingCommon()
	default:
		obj.Created, obj.Modified, err = o.checkVersionedCommon()
	}
	if err != nil {
		return nil, err
	}
	for _, p := range spec.required {
		if !o.has(p) {
			return nil, o.errf(p, "required")
		}
	}
	for _, r := range spec.refs {
		if err := o.checkRefs(r); err != nil {
			return nil, err
		}
	}
	if spec.check != nil {
		if err := spec.check(o); err != nil {
			return nil, err
		}
	}
	if obj.TLP, err = o.tlp(); err != nil {
		return nil, err
	}
	if obj.RecipientOrgs, obj.RecipientUsers, err = o.recipients(); err != nil {
		return nil, err
	}
	return obj, nil
}

// decodeTop checks that raw is one JSON object in UTF-8 with unique
// property names, and returns it decoded to its top level, with its
// compact form (a copy: the caller may reuse raw), into which the
// property values point.
func decodeTop(raw []byte) (*object, []byte, error) {
	// Scan a copy, so that in the common case, compact input, the
	// property values already point into what becomes Raw.
	compact := bytes.Clone(raw)
	o := &object{props: props{data: compact, list: make([]prop, 0, propsIndexed)}}
	s := scanner{data: compact, maxDepth: maxNesting, top: &o.props}
	start := s.document()
	switch {
	case start == scanFail:
		return nil, nil, &ValidationError{Reason: "malformed JSON: " + syntaxError(raw)}
	case raw[start] != '{':
		return nil, nil, &ValidationError{Reason: "not a JSON object"}
	case s.badUTF8:
		// encoding/json would quietly replace the bad bytes when decoding
		// but Raw would keep them; JSON must be UTF-8 (RFC 8259).
		return nil, nil, &ValidationError{Reason: "not valid UTF-8"}
	}
	if s.space {
		var buf bytes.Buffer
		buf.Grow(len(raw))
		_ = json.Compact(&buf, raw) // cannot fail: raw is valid JSON
		compact = buf.Bytes()
		o.props.reset(compact)
		s = scanner{data: compact, maxDepth: maxNesting, top: &o.props}
		s.document()
	}
	if s.dupName {
		// encoding/json keeps the last of duplicate names; another reader
		// may keep the first, and see a different object.
		return nil, nil, &ValidationError{Reason: "a property name is given twice"}
	}
	return o, compact, nil
}

// object is one STIX object decoded to its top level, with helpers that
// decode a property on demand and phrase errors against it.
type object struct {
	typ   string
	props props

	// The extensions dictionary, decoded once on first use.
	exts     map[string]map[string]json.RawMessage
	extsErr  error
	extsDone bool
}

func (o *object) errf(prop, format string, args ...any) *ValidationError {
	return &ValidationError{Type: o.typ, Property: prop, Reason: fmt.Sprintf(format, args...)}
}

func (o *object) has(p string) bool { _, ok := o.props.get(p); return ok }

// reservedProperties are names STIX 2.1 reserves (section 3.1 note and the
// OASIS schemas); an object must not use them.
var reservedProperties = []string{"severity", "action", "username", "phone_numbers"}

// checkNames applies the rules every top-level property shares: a valid
// name, not reserved, not null, and no empty list (section 3.1: empty lists
// are prohibited). Generic _ref and _refs properties must hold identifiers
// (section 2.5 and 3.1); specific target types are checked per type.
func (o *object) checkNames() error {
	for i, p := range o.props.list {
		k, v := p.name, o.props.value(i)
		switch {
		case !validPropertyName(k):
			return o.errf(k, "not a valid property name (want 3-250 of a-z, 0-9, _)")
		case slices.Contains(reservedProperties, k):
			return o.errf(k, "reserved by STIX 2.1")
		case string(v) == "null":
			return o.errf(k, "must not be null")
		case string(v) == "[]":
			return o.errf(k, "must not be an empty list")
		}
		if len(k) > 4 && k[len(k)-4:] == "_ref" {
			if err := o.checkRefs(refRule{prop: k}); err != nil {
				return err
			}
		} else if len(k) > 5 && k[len(k)-5:] == "_refs" {
			if err := o.checkRefs(refRule{prop: k, list: true}); err != nil {
				return err
			}
		}
	}
	return nil
}

// decode unmarshals property p into v, reporting whether it was present.
func (o *object) decode(p string, v any, want string) (bool, error) {
	raw, ok := o.props.get(p)
	if !ok {
		return false, nil
	}
	if err := json.Unmarshal(raw, v); err != nil {
		return true, o.errf(p, "want %s", want)
	}
	return true, nil
}

func (o *object) str(p string, required bool) (string, error) {
	raw, ok := o.props.get(p)
	if !ok {
		if required {
			return "", o.errf(p, "required")
		}
		return "", nil
	}
	if s, rest, ok := plainString(raw); ok && len(rest) == 0 {
		return s, nil
	}
	var s string
	_, err := o.decode(p, &s, "a string")
	return s, err
}

func (o *object) strList(p string) ([]string, error) {
	raw, ok := o.props.get(p)
	if !ok {
		return nil, nil
	}
	if l, ok := plainStringList(raw); ok {
		return l, nil
	}
	var l []string
	_, err := o.decode(p, &l, "a list of strings")
	return l, err
}

// plainString reads a JSON string without escapes at the start of b, the
// common case, without the cost of encoding/json; ok is false otherwise.
// b is known to be valid JSON, so the bytes between the quotes are the
// string.
func plainString(b []byte) (s string, rest []byte, ok bool) {
	v, rest, ok := plainBytes(b)
	return string(v), rest, ok
}

// plainBytes is plainString without the copy.
func plainBytes(b []byte) (s, rest []byte, ok bool) {
	if len(b) < 2 || b[0] != '"' {
		return nil, b, false
	}
	for i := 1; i < len(b); i++ {
		switch b[i] {
		case '\\':
			return nil, b, false
		case '"':
			return b[1:i], b[i+1:], true
		}
	}
	return nil, b, false
}

// plainStringList is plainString for a compact list of strings.
func plainStringList(b []byte) ([]string, bool) {
	if !isPlainStringList(b) {
		return nil, false
	}
	var l []string
	for rest := b; len(rest) > 1; {
		var s []byte
		s, rest = nextPlain(rest)
		l = append(l, string(s))
	}
	return l, true
}

// isPlainStringList reports whether b is a compact, non-empty list of
// strings without escapes, which nextPlain reads.
func isPlainStringList(b []byte) bool {
	if len(b) < 2 || b[0] != '[' || b[1] == ']' {
		return false
	}
	for b = b[1:]; ; b = b[1:] {
		_, rest, ok := plainBytes(b)
		if !ok || len(rest) == 0 {
			return false
		}
		b = rest
		if b[0] == ']' {
			return len(b) == 1
		}
		if b[0] != ',' {
			return false
		}
	}
}

// nextPlain returns the next string of a list isPlainStringList accepted,
// given the list from the '[' or ',' before the string, and the rest from
// the ',' or ']' after it.
func nextPlain(b []byte) (s, rest []byte) {
	end := 2 + bytes.IndexByte(b[2:], '"')
	return b[2:end], b[end+1:]
}

// isStr is str for a value that is not needed, without copying it.
func (o *object) isStr(p string, required bool) error {
	raw, ok := o.props.get(p)
	switch {
	case !ok && required:
		return o.errf(p, "required")
	case !ok || raw[0] == '"' || string(raw) == "null":
		// encoding/json decodes any valid string, and null leaves a
		// string as it was.
		return nil
	}
	return o.errf(p, "want a string")
}

// isStrList is strList for a value that is not needed.
func (o *object) isStrList(p string) error {
	if raw, ok := o.props.get(p); !ok || isPlainStringList(raw) {
		return nil
	}
	_, err := o.strList(p)
	return err
}

func (o *object) boolean(p string) (v, ok bool, err error) {
	if !o.has(p) {
		return false, false, nil
	}
	ok, err = o.decode(p, &v, "true or false")
	return v, ok, err
}

// integer reads an integer property within [lo, hi].
func (o *object) integer(p string, lo, hi int64) (int64, bool, error) {
	if !o.has(p) {
		return 0, false, nil
	}
	var n json.Number
	ok, err := o.decode(p, &n, "an integer")
	if !ok || err != nil {
		return 0, ok, err
	}
	v, perr := n.Int64()
	if perr != nil || v < lo || v > hi {
		return 0, true, o.errf(p, "want an integer from %d to %d", lo, hi)
	}
	return v, true, nil
}

// number reads a number property within [lo, hi].
func (o *object) number(p string, lo, hi float64) (float64, bool, error) {
	if !o.has(p) {
		return 0, false, nil
	}
	var v float64
	ok, err := o.decode(p, &v, "a number")
	if ok && err == nil && (v < lo || v > hi) {
		err = o.errf(p, "want a number from %g to %g", lo, hi)
	}
	return v, ok, err
}

func (o *object) timestamp(p string, required bool) (time.Time, error) {
	if raw, _ := o.props.get(p); len(raw) > 0 && raw[0] == '"' && bytes.IndexByte(raw, '\\') < 0 {
		// The common case: a string without escapes, read in place.
		t, err := parseTimestamp([]byte(raw[1 : len(raw)-1]))
		if err != nil {
			return time.Time{}, o.errf(p, "%v", err)
		}
		return t, nil
	}
	s, err := o.str(p, required)
	if err != nil || s == "" && !o.has(p) {
		return time.Time{}, err
	}
	t, err := ParseTimestamp(s)
	if err != nil {
		return time.Time{}, o.errf(p, "%v", err)
	}
	return t, nil
}

// timeOrder checks optional timestamps first and last and that last is not
// before first (or is after it, when strict).
func (o *object) timeOrder(first, last string, strict bool) error {
	a, err := o.timestamp(first, false)
	if err != nil {
		return err
	}
	b, err := o.timestamp(last, false)
	if err != nil {
		return err
	}
	if a.IsZero() || b.IsZero() {
		return nil
	}
	if b.Before(a) || strict && b.Equal(a) {
		rel := "before"
		if strict {
			rel = "at or before"
		}
		return o.errf(last, "%s %s", rel, first)
	}
	return nil
}

// oneOf checks that property p, when present, is one of a closed set.
func (o *object) oneOf(p string, allowed ...string) error {
	s, err := o.str(p, false)
	if err != nil || !o.has(p) || slices.Contains(allowed, s) {
		return err
	}
	return o.errf(p, "%.64q is not one of %q", s, allowed)
}

// atLeastOne checks that one of props is present.
func (o *object) atLeastOne(props ...string) error {
	for _, p := range props {
		if o.has(p) {
			return nil
		}
	}
	return o.errf("", "needs at least one of %q", props)
}

// refRule says which object types a _ref or _refs property may point to.
type refRule struct {
	prop string
	list bool
	to   []string // allowed target types; empty means any
	not  []string // forbidden target types
}

func (o *object) checkRefs(r refRule) error {
	raw, ok := o.props.get(r.prop)
	if !ok {
		return nil
	}
	// The common case, references without escapes, is read in place.
	if !r.list {
		if s, rest, ok := plainBytes(raw); ok && len(rest) == 0 {
			return checkRef(o, r, s)
		}
	} else if isPlainStringList(raw) {
		for rest := []byte(raw); len(rest) > 1; {
			var s []byte
			s, rest = nextPlain(rest)
			if err := checkRef(o, r, s); err != nil {
				return err
			}
		}
		return nil
	}
	var refs []string
	if r.list {
		var err error
		if refs, err = o.strList(r.prop); err != nil {
			return err
		}
	} else {
		s, err := o.str(r.prop, false)
		if err != nil {
			return err
		}
		refs = []string{s}
	}
	for _, ref := range refs {
		if err := checkRef(o, r, ref); err != nil {
			return err
		}
	}
	return nil
}

func checkRef[S string | []byte](o *object, r refRule, ref S) error {
	t, ok := splitID(ref)
	switch {
	case !ok:
		return o.errf(r.prop, "%.80q is not a STIX identifier", string(ref))
	case len(r.to) > 0 && !containsType(r.to, t):
		return o.errf(r.prop, "%.80q: want a reference to %s", string(ref), orList(r.to))
	case containsType(r.not, t):
		return o.errf(r.prop, "%.80q: must not refer to a %s", string(ref), string(t))
	}
	return nil
}

func containsType[S string | []byte](types []string, t S) bool {
	for _, x := range types {
		if x == string(t) {
			return true
		}
	}
	return false
}

func orList(types []string) string {
	switch len(types) {
	case 1:
		return types[0]
	case 2:
		return types[0] + " or " + types[1]
	}
	s := ""
	for i, t := range types {
		switch {
		case i == len(types)-1:
			s += ", or " + t
		case i > 0:
			s += ", " + t
		default:
			s = t
		}
	}
	return s
}
