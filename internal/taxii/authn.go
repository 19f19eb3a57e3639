package taxii

import (
	"errors"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/entente/entente/internal/auth"
	"github.com/entente/entente/internal/store"
)

// principal is the authenticated caller.
type principal struct {
	user auth.User
	org  auth.Org
}

// Caching bounds: revocation, a user's move to another organization or
// role, and an organization's changes take effect within authCacheTTL.
const (
	authCacheTTL  = 2 * time.Second
	authCacheSize = 4096
	maxSecretLen  = 512
)

// authCache keeps recent token look-ups so that a client paging at full
// speed does not cost three store reads per request.
type authCache struct {
	mu      sync.Mutex
	entries map[[32]byte]authEntry
}

type authEntry struct {
	token   auth.Token
	p       *principal
	fetched time.Time
}

func newAuthCache() *authCache { return &authCache{entries: make(map[[32]byte]authEntry)} }

func (c *authCache) get(h [32]byte, now time.Time) (authEntry, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[h]
	if !ok || now.Sub(e.fetched) >= authCacheTTL || now.Before(e.fetched) {
		return authEntry{}, false
	}
	return e, true
}

func (c *authCache) put(h [32]byte, e authEntry) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.entries) >= authCacheSize {
		for k, old := range c.entries {
			if e.fetched.Sub(old.fetched) >= authCacheTTL {
				delete(c.entries, k)
			}
		}
		if len(c.entries) >= authCacheSize {
			clear(c.entries)
		}
	}
	c.entries[h] = e
}

var errUnauthenticated = newError(http.StatusUnauthorized,
	"authenticate with HTTP Basic (user name and API token) or a Bearer API token")

// authenticate finds who is calling. Every failure answers the same 401 so
// that a prober learns nothing about which users or tokens exist.
func (s *Server) authenticate(r *http.Request) (*principal, error) {
	user, secret, basic := r.BasicAuth()
	if !basic {
		h := r.Header.Get("Authorization")
		scheme, token, ok := strings.Cut(h, " ")
		if !ok || !strings.EqualFold(scheme, "Bearer") {
			return nil, errUnauthenticated
		}
		secret = strings.TrimSpace(token)
	}
	if secret == "" || len(secret) > maxSecretLen {
		return nil, errUnauthenticated
	}
	now := s.now()
	hash := auth.HashToken(secret)
	e, ok := s.auth.get(hash, now)
	if !ok {
		var err error
		e, err = s.lookup(r, hash, now)
		if err != nil {
			return nil, err
		}
	}
	if err := e.token.Check(secret, now); err != nil {
		return nil, errUnauthenticated
	}
	if basic && user != e.token.User {
		return nil, errUnauthenticated
	}
	return e.p, nil
}

func (s *Server) lookup(r *http.Request, hash [32]byte, now time.Time) (authEntry, error) {
	ctx := r.Context()
	t, err := s.store.TokenByHash(ctx, hash)
	if errors.Is(err, store.ErrNotFound) {
		return authEntry{}, errUnauthenticated
	} else if err != nil {
		return authEntry{}, err
	}
	u, err := s.store.User(ctx, t.User)
	if errors.Is(err, store.ErrNotFound) {
		return authEntry{}, errUnauthenticated
	} else if err != nil {
		return authEntry{}, err
	}
	o, err := s.store.Org(ctx, u.Org)
	if errors.Is(err, store.ErrNotFound) {
		return authEntry{}, errUnauthenticated
	} else if err != nil {
		return authEntry{}, err
	}
	e := authEntry{token: t, p: &principal{user: u, org: o}, fetched: now}
	s.auth.put(hash, e)
	return e, nil
}

// rights are what the principal may do with one collection.
func (p *principal) rights(c store.Collection) (read, write bool) {
	read = hasOrg(c.ReadOrgs, p.org.Name)
	write = hasOrg(c.WriteOrgs, p.org.Name) && p.user.Role.CanWrite()
	return read, write
}

func hasOrg(list []string, org string) bool {
	return slices.Contains(list, store.AllOrgs) || slices.Contains(list, org)
}

// viewer is the principal as the TLP rule sees it in collection c.
func (p *principal) viewer(c store.Collection) auth.Viewer {
	v := auth.Viewer{
		User:       p.user.Name,
		Org:        p.org.Name,
		Community:  p.org.Kind == auth.KindMember,
		ClientOf:   p.org.ClientOf,
		InAudience: slices.Contains(c.Recipients, p.org.Name),
	}
	for _, o := range p.org.ClientOf {
		if slices.Contains(c.Recipients, o) {
			v.ClientOfAudience = true
			break
		}
	}
	return v
}
