package taxii

import (
	"errors"
	"net/http"
	"slices"

	"github.com/entente/entente/internal/auth"
	"github.com/entente/entente/internal/httpauth"
	"github.com/entente/entente/internal/store"
)

// principal is the authenticated caller.
type principal struct {
	user auth.User
	org  auth.Org
}

// authCacheTTL is how long a token look-up is trusted; see package httpauth.
const authCacheTTL = httpauth.CacheTTL

var errUnauthenticated = newError(http.StatusUnauthorized, "%s", httpauth.ErrUnauthenticated.Error())

// authenticate finds who is calling. Every failure answers the same 401 so
// that a prober learns nothing about which users or tokens exist.
func (s *Server) authenticate(r *http.Request) (*principal, error) {
	p, err := s.auth.Authenticate(r)
	if errors.Is(err, httpauth.ErrUnauthenticated) {
		return nil, errUnauthenticated
	}
	if err != nil {
		return nil, err
	}
	return &principal{user: p.User, org: p.Org}, nil
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
