package attrib

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// Limits bounds what a parser accepts from one file.
type Limits struct {
	// MaxBytes is the largest input. Optional; default DefaultMaxBytes.
	// A TagPack is decoded whole, taking about ten times its size in
	// memory.
	MaxBytes int64
	// MaxTags is the most entries (of any currency) in one input.
	// Optional; default DefaultMaxTags.
	MaxTags int
	// Currency keeps only tags of this currency. Optional; default "BTC";
	// "*" keeps every currency. Entries of other currencies are not
	// checked beyond having an address and a currency.
	Currency string
	// Skipped, if set, is called with the currency of each entry left out
	// for its currency, so that an importer can report them.
	Skipped func(currency string)
}

// Defaults of [Limits]. The largest GraphSense pack (miners.yaml) is 4 MiB.
const (
	DefaultMaxBytes = 64 << 20
	DefaultMaxTags  = 1_000_000
)

func (l Limits) withDefaults() Limits {
	if l.MaxBytes <= 0 {
		l.MaxBytes = DefaultMaxBytes
	}
	if l.MaxTags <= 0 {
		l.MaxTags = DefaultMaxTags
	}
	if l.Currency == "" {
		l.Currency = "BTC"
	}
	l.Currency = strings.ToUpper(l.Currency)
	return l
}

// Errors callers can check.
var (
	// ErrTooLarge: the input exceeds Limits.MaxBytes or MaxTags.
	ErrTooLarge = errors.New("attrib: input too large")
	// ErrSyntax: the input is not in the format.
	ErrSyntax = errors.New("attrib: syntax error")
)

// ParseError is a fault in an input, at a line (counted from 1; 0 when
// the YAML decoder's message names the line itself).
type ParseError struct {
	Line int
	Err  error
}

func (e *ParseError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("line %d: %v", e.Line, e.Err)
	}
	return e.Err.Error()
}

func (e *ParseError) Unwrap() error { return e.Err }

func errAt(n *yaml.Node, format string, args ...any) error {
	return &ParseError{Line: n.Line, Err: fmt.Errorf(format, args...)}
}

// readLimited reads all of r, failing once it exceeds max bytes.
func readLimited(r io.Reader, max int64) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r, max+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > max {
		return nil, fmt.Errorf("%w: more than %d bytes", ErrTooLarge, max)
	}
	return b, nil
}

// ParseTagPack reads a GraphSense TagPack and returns its tags of
// lim.Currency, each inheriting the header's fields it does not set. An
// entry without an address or currency, a confidence name GraphSense
// does not define or a field past the [Tag] bounds is an error naming its
// line: a pack is imported whole or not at all.
func ParseTagPack(r io.Reader, lim Limits) (tags []Tag, err error) {
	lim = lim.withDefaults()
	b, err := readLimited(r, lim.MaxBytes)
	if err != nil {
		return nil, err
	}
	defer func() {
		// The YAML decoder is not ours; hostile input must not crash a node.
		if p := recover(); p != nil {
			tags, err = nil, &ParseError{Err: fmt.Errorf("%w: YAML decoder: %v", ErrSyntax, p)}
		}
	}()
	var doc yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(b))
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, &ParseError{Err: fmt.Errorf("%w: empty TagPack", ErrSyntax)}
		}
		return nil, &ParseError{Err: fmt.Errorf("%w: %v", ErrSyntax, err)}
	}
	if len(doc.Content) != 1 {
		return nil, errAt(&doc, "%w: not a YAML document", ErrSyntax)
	}
	root := resolve(doc.Content[0])
	if root.Kind != yaml.MappingNode {
		return nil, errAt(root, "%w: a TagPack is a mapping of header fields and tags", ErrSyntax)
	}
	header, err := fields(root)
	if err != nil {
		return nil, err
	}
	list, ok := header["tags"]
	if !ok {
		return nil, errAt(root, "%w: no tags", ErrSyntax)
	}
	list = resolve(list)
	if list.Kind != yaml.SequenceNode {
		return nil, errAt(list, "%w: tags is not a list", ErrSyntax)
	}
	if len(list.Content) > lim.MaxTags {
		return nil, errAt(list, "%w: %d tags, more than %d", ErrTooLarge, len(list.Content), lim.MaxTags)
	}
	for _, item := range list.Content {
		item = resolve(item)
		if item.Kind != yaml.MappingNode {
			return nil, errAt(item, "%w: a tag is a mapping", ErrSyntax)
		}
		own, err := fields(item)
		if err != nil {
			return nil, err
		}
		t, keep, err := tagOf(item, own, header, lim.Currency)
		if err != nil {
			return nil, err
		}
		if keep {
			tags = append(tags, t)
		} else if lim.Skipped != nil {
			lim.Skipped(t.Currency)
		}
	}
	return tags, nil
}

// resolve follows aliases, a bounded number of times.
func resolve(n *yaml.Node) *yaml.Node {
	for i := 0; i < 8 && n.Kind == yaml.AliasNode && n.Alias != nil; i++ {
		n = n.Alias
	}
	return n
}

// fields indexes a mapping's values by key.
func fields(m *yaml.Node) (map[string]*yaml.Node, error) {
	f := make(map[string]*yaml.Node, len(m.Content)/2)
	for i := 0; i+1 < len(m.Content); i += 2 {
		k := resolve(m.Content[i])
		if k.Kind != yaml.ScalarNode {
			return nil, errAt(k, "%w: a field name is not text", ErrSyntax)
		}
		f[k.Value] = m.Content[i+1]
	}
	return f, nil
}

// tagOf builds the tag of an entry: its own fields, else the header's.
// A tag of another currency than want is returned unchecked, keep false.
func tagOf(item *yaml.Node, own, header map[string]*yaml.Node, want string) (t Tag, keep bool, err error) {
	var bad error
	get := func(name string) string {
		n, ok := own[name]
		if !ok {
			n, ok = header[name]
		}
		if !ok || bad != nil {
			return ""
		}
		n = resolve(n)
		if n.Kind != yaml.ScalarNode {
			bad = errAt(n, "%w: %s is not a single value", ErrSyntax, name)
			return ""
		}
		if n.Tag == "!!null" {
			return ""
		}
		return strings.TrimSpace(n.Value)
	}
	t = Tag{Address: get("address"), Label: get("label"), Actor: get("actor")}
	t.Currency = strings.ToUpper(get("currency"))
	if t.Currency == "" {
		t.Currency = strings.ToUpper(get("network"))
	}
	t.Source = get("source")
	for _, f := range []string{"title", "creator"} {
		if t.Source == "" {
			t.Source = get(f)
		}
	}
	category, abuse := get("category"), get("abuse")
	conf, lastmod := get("confidence"), get("lastmod")
	if bad != nil {
		return Tag{}, false, bad
	}
	if t.Address == "" {
		return Tag{}, false, errAt(item, "%w: tag has no address", ErrInvalid)
	}
	if t.Currency == "" {
		return Tag{}, false, errAt(item, "%w: tag %.140s has no currency or network", ErrInvalid, t.Address)
	}
	if want != "*" && t.Currency != want {
		return t, false, nil
	}
	t.Category, t.Original = categorize(category)
	if _, ok := ParseCategory(abuse); ok || category == "" && abuse != "" {
		// The abuse says more about the funds than the kind of entity.
		t.Category, t.Original = categorize(abuse)
	}
	t.Confidence = 5 // GraphSense's "unknown"
	if conf != "" {
		n, ok := Confidence(conf)
		if !ok {
			return Tag{}, false, errAt(item, "%w: unknown confidence %.40q", ErrInvalid, conf)
		}
		t.Confidence = n
	}
	if lastmod != "" {
		c, err := parseDate(lastmod)
		if err != nil {
			return Tag{}, false, errAt(item, "%w: lastmod %.40q is not a date", ErrInvalid, lastmod)
		}
		t.Created = c
	}
	if err := t.Validate(); err != nil {
		return Tag{}, false, &ParseError{Line: item.Line, Err: err}
	}
	return t, true, nil
}

func parseDate(s string) (time.Time, error) {
	for _, layout := range []string{time.DateOnly, time.RFC3339, "2006-01-02 15:04:05"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, errors.New("not a date")
}
