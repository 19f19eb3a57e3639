package attrib

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"strings"
)

// Bounds of [ParseOFAC]. The whole SDN list holds under a thousand
// addresses of all assets.
const (
	MaxOFACBytes = 4 << 20
	MaxOFACTags  = 100_000
)

// OFACSource is the Source of every tag [ParseOFAC] returns.
const OFACSource = "OFAC SDN list"

// ParseOFAC reads one asset's list of sanctioned addresses, one address
// per line, and returns them as sanctioned tags of confidence 100 in
// currency (OFAC's "XBT" is given as "BTC"). Blank lines and lines
// starting with # are skipped; any other line must be one address.
// Addresses are not checked against a network here: the list is as the
// Treasury published it, and the caller knows its network.
func ParseOFAC(r io.Reader, currency string) ([]Tag, error) {
	currency = strings.ToUpper(strings.TrimSpace(currency))
	if currency == "XBT" {
		currency = "BTC"
	}
	if currency == "" || len(currency) > 16 {
		return nil, fmt.Errorf("%w: currency %.20q", ErrInvalid, currency)
	}
	b, err := readLimited(r, MaxOFACBytes)
	if err != nil {
		return nil, err
	}
	var tags []Tag
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(make([]byte, 0, 4096), MaxOFACBytes+1)
	for line := 1; sc.Scan(); line++ {
		s := strings.TrimSpace(sc.Text())
		if s == "" || strings.HasPrefix(s, "#") {
			continue
		}
		if len(tags) == MaxOFACTags {
			return nil, &ParseError{Line: line, Err: fmt.Errorf("%w: more than %d addresses", ErrTooLarge, MaxOFACTags)}
		}
		t := Tag{Address: s, Currency: currency, Category: Sanctioned, Label: "sanctioned by OFAC",
			Source: OFACSource, Confidence: 100}
		if err := t.Validate(); err != nil {
			return nil, &ParseError{Line: line, Err: err}
		}
		tags = append(tags, t)
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	return tags, nil
}
