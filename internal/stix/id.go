package stix

import "strings"

// uuidLen is the length of a UUID in its canonical text form.
const uuidLen = 36

// validType reports whether s can be a STIX type name (section 3.1): 3-250
// characters from a-z, 0-9 and hyphen, starting with a letter, not ending
// with a hyphen, and without "--", which would make identifiers ambiguous.
func validType[S string | []byte](s S) bool {
	if len(s) < 3 || len(s) > 250 || s[0] < 'a' || s[0] > 'z' || s[len(s)-1] == '-' {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z', '0' <= c && c <= '9':
		case c == '-':
			if s[i-1] == '-' {
				return false
			}
		default:
			return false
		}
	}
	return true
}

// validUUID reports whether s is an RFC 4122 UUID in text form: versions 1
// to 5 and the RFC 4122 variant, as the OASIS identifier schema requires.
// The version is not tied to the object kind (SCOs SHOULD use UUIDv5, but
// producers such as OpenCTI do not always follow this).
func validUUID[S string | []byte](s S) bool {
	if len(s) != uuidLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		case 14:
			if c < '1' || c > '5' {
				return false
			}
		case 19:
			if !strings.ContainsRune("89abAB", rune(c)) {
				return false
			}
		default:
			if !isHex(c) {
				return false
			}
		}
	}
	return true
}

// splitID checks a STIX identifier, type--UUID, and returns its type.
func splitID[S string | []byte](id S) (typ S, ok bool) {
	n := len(id) - uuidLen - 2
	if n < 3 || id[n] != '-' || id[n+1] != '-' || !validUUID(id[n+2:]) || !validType(id[:n]) {
		return typ, false
	}
	return id[:n], true
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

// validPropertyName reports whether s may name a property (section 3.1):
// 3-250 characters from a-z, 0-9 and underscore; "id" is the one
// exception.
func validPropertyName(s string) bool {
	if s == "id" {
		return true
	}
	if len(s) < 3 || len(s) > 250 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '_') {
			return false
		}
	}
	return true
}
