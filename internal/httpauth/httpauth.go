// Package httpauth authenticates HTTP requests to an Entente node with API
// tokens: HTTP Basic (user name and token) or a Bearer token, checked
// against the store's users, organizations and token hashes.
//
// It is authentication only: what a caller may then do is the transport's
// decision (package taxii for collections, package chainapi for the chain
// engine), using the caller's [auth.User] role and [auth.Org].
//
// Look-ups are cached for [CacheTTL], so that a client paging at full speed
// does not cost three store reads per request; revocation, a user's move to
// another organization or role, and an organization's changes take effect
// within that time.
package httpauth

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/entente/entente/internal/auth"
	"github.com/entente/entente/internal/store"
)

// Caching bounds.
const (
	CacheTTL  = 2 * time.Second
	cacheSize = 4096
	// maxSecretLen bounds what is hashed: real tokens are 47 bytes.
	maxSecretLen = 512
)

// ErrUnauthenticated is every authentication failure: missing, malformed,
// unknown, expired or revoked credentials, or a user or organization that
// no longer exists. Callers answer it with 401 and one fixed message, so
// that a prober learns nothing about which users or tokens exist.
var ErrUnauthenticated = errors.New("authenticate with HTTP Basic (user name and API token) or a Bearer API token")

// Principal is the authenticated caller.
type Principal struct {
	User auth.User
	Org  auth.Org
}

// Store is what authentication reads; store.Store provides it.
type Store interface {
	TokenByHash(ctx context.Context, hash [32]byte) (auth.Token, error)
	User(ctx context.Context, name string) (auth.User, error)
	Org(ctx context.Context, name string) (auth.Org, error)
}

var _ Store = store.Store(nil)

// Authenticator finds who is calling. It is safe for concurrent use.
type Authenticator struct {
	store Store
	now   func() time.Time

	mu      sync.Mutex
	entries map[[32]byte]entry
}

type entry struct {
	token   auth.Token
	p       *Principal
	fetched time.Time
}

// New returns an Authenticator reading s. now gives the time tokens are
// checked against (optional; default time.Now).
func New(s Store, now func() time.Time) *Authenticator {
	if now == nil {
		now = time.Now
	}
	return &Authenticator{store: s, now: now, entries: make(map[[32]byte]entry)}
}

// Authenticate returns the caller of r, [ErrUnauthenticated], or a store
// fault (to be answered 500).
func (a *Authenticator) Authenticate(r *http.Request) (*Principal, error) {
	user, secret, basic := r.BasicAuth()
	if !basic {
		h := r.Header.Get("Authorization")
		scheme, token, ok := strings.Cut(h, " ")
		if !ok || !strings.EqualFold(scheme, "Bearer") {
			return nil, ErrUnauthenticated
		}
		secret = strings.TrimSpace(token)
	}
	if secret == "" || len(secret) > maxSecretLen {
		return nil, ErrUnauthenticated
	}
	now := a.now()
	hash := auth.HashToken(secret)
	e, ok := a.get(hash, now)
	if !ok {
		var err error
		e, err = a.lookup(r.Context(), hash, now)
		if err != nil {
			return nil, err
		}
	}
	if err := e.token.Check(secret, now); err != nil {
		return nil, ErrUnauthenticated
	}
	if basic && user != e.token.User {
		return nil, ErrUnauthenticated
	}
	return e.p, nil
}

func (a *Authenticator) lookup(ctx context.Context, hash [32]byte, now time.Time) (entry, error) {
	t, err := a.store.TokenByHash(ctx, hash)
	if errors.Is(err, store.ErrNotFound) {
		return entry{}, ErrUnauthenticated
	} else if err != nil {
		return entry{}, err
	}
	u, err := a.store.User(ctx, t.User)
	if errors.Is(err, store.ErrNotFound) {
		return entry{}, ErrUnauthenticated
	} else if err != nil {
		return entry{}, err
	}
	o, err := a.store.Org(ctx, u.Org)
	if errors.Is(err, store.ErrNotFound) {
		return entry{}, ErrUnauthenticated
	} else if err != nil {
		return entry{}, err
	}
	e := entry{token: t, p: &Principal{User: u, Org: o}, fetched: now}
	a.put(hash, e)
	return e, nil
}

func (a *Authenticator) get(h [32]byte, now time.Time) (entry, bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	e, ok := a.entries[h]
	if !ok || now.Sub(e.fetched) >= CacheTTL || now.Before(e.fetched) {
		return entry{}, false
	}
	return e, true
}

func (a *Authenticator) put(h [32]byte, e entry) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if len(a.entries) >= cacheSize {
		for k, old := range a.entries {
			if e.fetched.Sub(old.fetched) >= CacheTTL {
				delete(a.entries, k)
			}
		}
		if len(a.entries) >= cacheSize {
			clear(a.entries)
		}
	}
	a.entries[h] = e
}
