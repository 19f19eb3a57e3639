// Package auth holds who may do what on an Entente node: organizations,
// users and their roles, API tokens, and the TLP 2.0 reading rule that every
// read path applies on top of collection rights.
//
// It is pure policy: it imports no storage and no transport. Stores persist
// its types; the TAXII server and the admin commands decide with it.
//
// # TLP 2.0
//
// Each stored object version carries the most restrictive TLP marking found
// on it (or the collection's default when it has none), the organization and
// user that produced it (the authenticated poster, never a claim inside the
// object), and its named recipients. [CanRead] decides, as FIRST defines TLP 2.0:
//
//   - CLEAR: anyone with read access to the collection;
//   - GREEN: members of the community, that is every organization whose kind
//     is [KindMember];
//   - AMBER: the producing organization, the recipient organizations, and the
//     declared clients of either;
//   - AMBER+STRICT: the producing organization and the recipient organizations;
//   - RED: the producing user and the named recipient users only.
//
// Recipients are named in two places, and both count: a collection's
// audience (its Recipients list, applying to every object in it) and, per
// object, the Entente access extension (stix.ExtensionAccess) with its
// recipient_orgs and recipient_users lists.
package auth

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/entente/entente/internal/stix"
)

// Role is what a user may do on the node.
type Role string

const (
	// RoleReader reads collections its organization may read.
	RoleReader Role = "reader"
	// RoleAnalyst also writes to collections its organization may write.
	RoleAnalyst Role = "analyst"
	// RoleAdmin also manages organizations, users, tokens and collections.
	RoleAdmin Role = "admin"
)

// ParseRole checks a role name given by an operator.
func ParseRole(s string) (Role, error) {
	switch r := Role(strings.ToLower(s)); r {
	case RoleReader, RoleAnalyst, RoleAdmin:
		return r, nil
	}
	return "", fmt.Errorf("unknown role %q: want admin, analyst or reader", s)
}

// CanWrite reports whether the role allows adding or deleting objects.
func (r Role) CanWrite() bool { return r == RoleAnalyst || r == RoleAdmin }

// OrgKind says whether an organization is part of the community (TLP:GREEN).
type OrgKind string

const (
	// KindMember is a member agency or CERT: part of the community.
	KindMember OrgKind = "member"
	// KindClient is an organization served by members (an exchange, a
	// company), outside the community; it sees AMBER only as a declared
	// client of a producer or recipient.
	KindClient OrgKind = "client"
)

// ParseOrgKind checks an organization kind given by an operator.
func ParseOrgKind(s string) (OrgKind, error) {
	switch k := OrgKind(strings.ToLower(s)); k {
	case KindMember, KindClient:
		return k, nil
	}
	return "", fmt.Errorf("unknown organization kind %q: want member or client", s)
}

// Org is an organization on the node.
type Org struct {
	Name     string   // unique, see ValidName
	Kind     OrgKind  // member or client
	ClientOf []string // names of the organizations this one is a declared client of
	Created  time.Time
}

// User is a person or system that authenticates with tokens.
type User struct {
	Name    string // unique across the node, see ValidName
	Org     string
	Role    Role
	Created time.Time
}

var nameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)

// ValidName checks an organization or user name: 1 to 64 letters, digits,
// dots, dashes and underscores, starting with a letter or digit. Names appear
// in Basic credentials and in recipient lists, so nothing else is allowed.
func ValidName(s string) error {
	if !nameRE.MatchString(s) {
		return fmt.Errorf("invalid name %q: want 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit", s)
	}
	return nil
}

// Token is a stored API token. The secret itself is never stored: only its
// SHA-256, which is enough because the secret has 256 bits of entropy.
type Token struct {
	ID      string // public identifier, used to revoke ("tok_...")
	User    string
	Hash    [32]byte
	Created time.Time
	Expires time.Time // zero: never
	Revoked bool
}

// ErrTokenInvalid is returned for an unknown, expired or revoked token.
var ErrTokenInvalid = errors.New("invalid, expired or revoked token")

// NewToken makes a token for user. The secret is returned once, to be shown
// to the operator; the Token holds only its hash.
func NewToken(rnd interface{ Read([]byte) (int, error) }, user string, now time.Time, ttl time.Duration) (secret string, t Token, err error) {
	if rnd == nil {
		rnd = rand.Reader
	}
	var id [9]byte
	var sec [32]byte
	if _, err := rnd.Read(id[:]); err != nil {
		return "", Token{}, err
	}
	if _, err := rnd.Read(sec[:]); err != nil {
		return "", Token{}, err
	}
	secret = "ent_" + base64.RawURLEncoding.EncodeToString(sec[:])
	t = Token{
		ID:      "tok_" + base64.RawURLEncoding.EncodeToString(id[:]),
		User:    user,
		Hash:    HashToken(secret),
		Created: now,
	}
	if ttl > 0 {
		t.Expires = now.Add(ttl)
	}
	return secret, t, nil
}

// HashToken is the stored form of a token secret.
func HashToken(secret string) [32]byte { return sha256.Sum256([]byte(secret)) }

// Check reports whether t is usable at now for the presented secret.
func (t Token) Check(secret string, now time.Time) error {
	h := HashToken(secret)
	if subtle.ConstantTimeCompare(h[:], t.Hash[:]) != 1 || t.Revoked ||
		(!t.Expires.IsZero() && !now.Before(t.Expires)) {
		return ErrTokenInvalid
	}
	return nil
}

// Viewer is who is reading, with what the TLP rule needs to know about them
// for one collection.
type Viewer struct {
	User      string
	Org       string
	Community bool     // the user's organization is a member (KindMember)
	ClientOf  []string // organizations the user's organization is a declared client of
	// InAudience: the user's organization is one of the collection's recipients.
	InAudience bool
	// ClientOfAudience: the user's organization is a declared client of one
	// of the collection's recipients.
	ClientOfAudience bool
}

// Access is what the TLP rule needs to know about one stored object version.
type Access struct {
	TLP            stix.TLP // never stix.TLPUnmarked: the collection default is applied first
	ProducerOrg    string
	ProducerUser   string
	RecipientOrgs  []string
	RecipientUsers []string
}

// CanRead is the TLP 2.0 rule described in the package documentation. The
// caller has already checked that the viewer may read the collection.
// Stores implement the same rule in their query language; the store
// conformance suite checks that they agree with this function.
func CanRead(v Viewer, a Access) bool {
	switch a.TLP {
	case stix.TLPClear:
		return true
	case stix.TLPGreen:
		return v.Community || v.Org == a.ProducerOrg
	case stix.TLPAmber:
		if v.Org == a.ProducerOrg || v.InAudience || v.ClientOfAudience ||
			slices.Contains(a.RecipientOrgs, v.Org) || slices.Contains(v.ClientOf, a.ProducerOrg) {
			return true
		}
		for _, o := range a.RecipientOrgs {
			if slices.Contains(v.ClientOf, o) {
				return true
			}
		}
		return false
	case stix.TLPAmberStrict:
		return v.Org == a.ProducerOrg || v.InAudience || slices.Contains(a.RecipientOrgs, v.Org)
	case stix.TLPRed:
		return v.User == a.ProducerUser || slices.Contains(a.RecipientUsers, v.User)
	}
	return false
}
