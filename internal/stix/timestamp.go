package stix

import (
	"fmt"
	"time"
)

// timestampLayout parses every STIX timestamp once its shape is checked;
// the fractional part is optional in it.
const timestampLayout = "2006-01-02T15:04:05.999999999Z"

// ParseTimestamp reads a STIX 2.1 timestamp (section 3.2):
// YYYY-MM-DDTHH:MM:SS[.s+]Z, always in UTC with a literal Z. It accepts at
// most nine fractional digits, the precision of time.Time, and rejects the
// leap second 60, which time.Time cannot hold. TAXII query parameters such
// as added_after use the same form.
func ParseTimestamp(s string) (time.Time, error) {
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
	t, err := time.Parse(timestampLayout, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("timestamp %q: out of range", s)
	}
	return t, nil
}

// FormatTimestamp writes t in UTC with exactly six fractional digits, the
// form TAXII 2.1 requires for date_added and X-TAXII-Date-Added-*.
func FormatTimestamp(t time.Time) string {
	return t.UTC().Format("2006-01-02T15:04:05.000000Z")
}
