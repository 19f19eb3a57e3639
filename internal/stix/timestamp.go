package stix

import (
	"fmt"
	"time"
)

// ParseTimestamp reads a STIX 2.1 timestamp (section 3.2):
// YYYY-MM-DDTHH:MM:SS[.s+]Z, always in UTC with a literal Z. It accepts at
// most nine fractional digits, the precision of time.Time, and rejects the
// leap second 60, which time.Time cannot hold. TAXII query parameters such
// as added_after use the same form.
func ParseTimestamp(s string) (time.Time, error) { return parseTimestamp(s) }

// parseTimestamp is ParseTimestamp for a string or for bytes still in a
// JSON document. It reads the fields by hand, as time.Parse with the
// layout 2006-01-02T15:04:05.999999999Z would but several times faster:
// it runs three times for most objects ingested.
func parseTimestamp[S string | []byte](s S) (time.Time, error) {
	const minLen = len("2006-01-02T15:04:05Z")
	if len(s) < minLen || len(s) > minLen+10 {
		return time.Time{}, fmt.Errorf("timestamp %.40q: want YYYY-MM-DDTHH:MM:SS[.s]Z", string(s))
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
			return time.Time{}, fmt.Errorf("timestamp %.40q: want YYYY-MM-DDTHH:MM:SS[.s]Z", string(s))
		}
	}
	year, month, day := atoiDigits(s[0:4]), atoiDigits(s[5:7]), atoiDigits(s[8:10])
	hour, minute, sec := atoiDigits(s[11:13]), atoiDigits(s[14:16]), atoiDigits(s[17:19])
	nsec := 0
	if frac := s[minLen-1 : len(s)-1]; len(frac) > 0 {
		nsec = atoiDigits(frac[1:])
		for range 10 - len(frac) {
			nsec *= 10
		}
	}
	if month < 1 || month > 12 || day < 1 || day > daysIn(month, year) || hour > 23 || minute > 59 || sec > 59 {
		return time.Time{}, fmt.Errorf("timestamp %q: out of range", string(s))
	}
	return time.Date(year, time.Month(month), day, hour, minute, sec, nsec, time.UTC), nil
}

// atoiDigits reads ASCII digits known to be digits.
func atoiDigits[S string | []byte](s S) int {
	n := 0
	for i := 0; i < len(s); i++ {
		n = n*10 + int(s[i]-'0')
	}
	return n
}

func daysIn(month, year int) int {
	switch month {
	case 2:
		if year%4 == 0 && (year%100 != 0 || year%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

// FormatTimestamp writes t in UTC with exactly six fractional digits, the
// form TAXII 2.1 requires for date_added and X-TAXII-Date-Added-*.
func FormatTimestamp(t time.Time) string {
	return t.UTC().Format("2006-01-02T15:04:05.000000Z")
}
