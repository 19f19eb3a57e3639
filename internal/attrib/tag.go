package attrib

import (
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Tag is one attribution of one address.
type Tag struct {
	Address  string   `json:"address"`
	Currency string   `json:"currency"` // "BTC"
	Label    string   `json:"label,omitempty"`
	Category Category `json:"category"`
	// Original is the source's own category or abuse term when it differs
	// from Category's name (always so for Other).
	Original   string    `json:"original,omitempty"`
	Actor      string    `json:"actor,omitempty"`
	Source     string    `json:"source,omitempty"`
	Confidence int       `json:"confidence"` // 0..100
	Created    time.Time `json:"created,omitzero"`
}

// Field bounds of [Tag.Validate], generous for real data and small enough
// that a million tags fit in memory.
const (
	MaxAddressLen = 128
	MaxLabelLen   = 512
	MaxActorLen   = 256
	MaxSourceLen  = 2048
)

// ErrInvalid is wrapped by every error about a tag's content.
var ErrInvalid = errors.New("attrib: invalid tag")

// Validate checks the fields' lengths and that Category is in the
// vocabulary.
func (t Tag) Validate() error {
	switch {
	case t.Address == "":
		return fmt.Errorf("%w: missing address", ErrInvalid)
	case len(t.Address) > MaxAddressLen || strings.IndexFunc(t.Address, notAddressRune) >= 0:
		return fmt.Errorf("%w: malformed address %.140q", ErrInvalid, t.Address)
	case t.Currency == "" || len(t.Currency) > 16:
		return fmt.Errorf("%w: currency %.20q", ErrInvalid, t.Currency)
	case !validText(t.Label, MaxLabelLen):
		return fmt.Errorf("%w: label of %d bytes or not UTF-8", ErrInvalid, len(t.Label))
	case !validText(t.Actor, MaxActorLen):
		return fmt.Errorf("%w: actor of %d bytes or not UTF-8", ErrInvalid, len(t.Actor))
	case !validText(t.Source, MaxSourceLen):
		return fmt.Errorf("%w: source of %d bytes or not UTF-8", ErrInvalid, len(t.Source))
	case !validText(t.Original, MaxLabelLen):
		return fmt.Errorf("%w: original category of %d bytes", ErrInvalid, len(t.Original))
	case t.Confidence < 0 || t.Confidence > 100:
		return fmt.Errorf("%w: confidence %d not in [0, 100]", ErrInvalid, t.Confidence)
	}
	if !t.Category.Valid() {
		return fmt.Errorf("%w: category %.40q is not in the vocabulary", ErrInvalid, string(t.Category))
	}
	return nil
}

// notAddressRune rejects what no currency's address holds: spaces,
// controls and non-ASCII (other currencies do use ':' and '-').
func notAddressRune(r rune) bool { return r <= ' ' || r >= unicode.MaxASCII }

func validText(s string, max int) bool {
	return len(s) <= max && utf8.ValidString(s) && strings.IndexFunc(s, unicode.IsControl) < 0
}

// Key identifies a claim: two tags with equal keys say the same thing
// (their confidence and dates may differ), so a store keeps one.
func (t Tag) Key() string {
	return strings.Join([]string{t.Address, t.Currency, string(t.Category), t.Original, t.Label, t.Actor, t.Source}, "\x00")
}

// Confidence returns the level of a GraphSense confidence name, or of a
// number written as text.
func Confidence(name string) (int, bool) {
	if n := confidenceLevel(strings.ToLower(strings.TrimSpace(name))); n >= 0 {
		return n, true
	}
	var n int
	if _, err := fmt.Sscanf(name, "%d", &n); err == nil && fmt.Sprint(n) == strings.TrimSpace(name) && n >= 0 && n <= 100 {
		return n, true
	}
	return 0, false
}

// confidenceLevel is graphsense-tagpack-tool's src/tagpack/db/confidence.csv
// plus names it has dropped that packs still use; -1 for none.
func confidenceLevel(name string) int {
	switch name {
	case "override", "ownership", "ledger_immanent":
		return 100
	case "manual_transaction":
		return 90
	case "service_api", "forensic_investigation":
		return 70
	case "authority_data":
		return 60
	case "trusted_provider", "service_data", "forensic":
		return 50
	case "untrusted_transaction":
		return 40
	case "web_crawl":
		return 20
	case "heuristic":
		return 10
	case "unknown":
		return 5
	}
	return -1
}
