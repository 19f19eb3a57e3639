package taxii

import (
	"errors"
	"net/http"

	"github.com/entente/entente/internal/stix"
	"github.com/entente/entente/internal/store"
)

// maxPathIDLen bounds ids read from the path before they reach the store.
const maxPathIDLen = 128

type discoveryResource struct {
	Title       string   `json:"title"`
	Description string   `json:"description,omitempty"`
	Contact     string   `json:"contact,omitempty"`
	Default     string   `json:"default,omitempty"`
	APIRoots    []string `json:"api_roots,omitempty"`
}

// discovery is section 4.1. API roots are absolute URLs on the host the
// client reached, which is what clients resolve them against anyway.
func (s *Server) discovery(w http.ResponseWriter, r *http.Request, _ *principal) error {
	root := "https://" + r.Host + APIRootPath
	if r.Host == "" {
		root = APIRootPath
	}
	s.writeJSON(w, http.StatusOK, discoveryResource{
		Title:       s.cfg.Title,
		Description: s.cfg.Description,
		Contact:     s.cfg.Contact,
		Default:     root,
		APIRoots:    []string{root},
	})
	return nil
}

type apiRootResource struct {
	Title            string   `json:"title"`
	Description      string   `json:"description,omitempty"`
	Versions         []string `json:"versions"`
	MaxContentLength int64    `json:"max_content_length"`
}

// apiRoot is section 4.2.
func (s *Server) apiRoot(w http.ResponseWriter, r *http.Request, _ *principal) error {
	s.writeJSON(w, http.StatusOK, apiRootResource{
		Title:            s.cfg.Title,
		Description:      s.cfg.Description,
		Versions:         []string{MediaType},
		MaxContentLength: s.cfg.MaxBodyBytes,
	})
	return nil
}

type collectionResource struct {
	ID          string   `json:"id"`
	Title       string   `json:"title"`
	Description string   `json:"description,omitempty"`
	CanRead     bool     `json:"can_read"`
	CanWrite    bool     `json:"can_write"`
	MediaTypes  []string `json:"media_types"`
}

func newCollectionResource(c store.Collection, read, write bool) collectionResource {
	return collectionResource{
		ID: c.ID, Title: c.Title, Description: c.Description,
		CanRead: read, CanWrite: write, MediaTypes: []string{stixMediaType},
	}
}

// collections is section 5.1: only the collections the user may use.
func (s *Server) collections(w http.ResponseWriter, r *http.Request, p *principal) error {
	cs, err := s.store.Collections(r.Context())
	if err != nil {
		return err
	}
	var out struct {
		Collections []collectionResource `json:"collections,omitempty"`
	}
	for _, c := range cs {
		if read, write := p.rights(c); read || write {
			out.Collections = append(out.Collections, newCollectionResource(c, read, write))
		}
	}
	s.writeJSON(w, http.StatusOK, out)
	return nil
}

// collection is section 5.2.
func (s *Server) collection(w http.ResponseWriter, r *http.Request, p *principal) error {
	c, read, write, err := s.loadCollection(r, p)
	if err != nil {
		return err
	}
	s.writeJSON(w, http.StatusOK, newCollectionResource(c, read, write))
	return nil
}

// loadCollection finds the collection of the path, answering 404 when the
// user may neither read nor write it: its existence is not theirs to know.
func (s *Server) loadCollection(r *http.Request, p *principal) (c store.Collection, read, write bool, err error) {
	id := r.PathValue("collection")
	if len(id) > maxPathIDLen {
		return c, false, false, notFound("collection")
	}
	c, err = s.store.Collection(r.Context(), id)
	if errors.Is(err, store.ErrNotFound) {
		return c, false, false, notFound("collection")
	} else if err != nil {
		return c, false, false, err
	}
	read, write = p.rights(c)
	if !read && !write {
		return store.Collection{}, false, false, notFound("collection")
	}
	return c, read, write, nil
}

func forbidden(op string) error {
	return newError(http.StatusForbidden, "you may not %s this collection", op)
}

type statusDetail struct {
	ID      string `json:"id"`
	Version string `json:"version,omitempty"`
	Message string `json:"message,omitempty"`
}

type statusResource struct {
	ID               string         `json:"id"`
	Status           string         `json:"status"`
	RequestTimestamp string         `json:"request_timestamp,omitempty"`
	TotalCount       int            `json:"total_count"`
	SuccessCount     int            `json:"success_count"`
	Successes        []statusDetail `json:"successes,omitempty"`
	FailureCount     int            `json:"failure_count"`
	Failures         []statusDetail `json:"failures,omitempty"`
	PendingCount     int            `json:"pending_count"`
}

func newStatusResource(st store.Status) statusResource {
	out := statusResource{
		ID:           st.ID,
		Status:       "pending",
		TotalCount:   st.Total,
		SuccessCount: st.SuccessCount,
		Successes:    statusDetails(st.Successes),
		FailureCount: st.FailureCount,
		Failures:     statusDetails(st.Failures),
		PendingCount: st.PendingCount(),
	}
	if out.PendingCount == 0 {
		out.Status = "complete"
	}
	if !st.RequestTimestamp.IsZero() {
		out.RequestTimestamp = stix.FormatTimestamp(st.RequestTimestamp)
	}
	return out
}

// statusDetails converts details; a failure whose object had no readable
// version has none (the spec wants one, but inventing it would mislead).
func statusDetails(ds []store.StatusDetail) []statusDetail {
	out := make([]statusDetail, 0, len(ds))
	for _, d := range ds {
		sd := statusDetail{ID: d.ID, Message: d.Message}
		if !d.Version.IsZero() {
			sd.Version = stix.FormatTimestamp(d.Version)
		}
		out = append(out, sd)
	}
	return out
}

// getStatus is section 4.3. Another user's status answers 404, exactly as
// a missing one.
func (s *Server) getStatus(w http.ResponseWriter, r *http.Request, p *principal) error {
	id := r.PathValue("status")
	if len(id) > maxPathIDLen {
		return notFound("status")
	}
	st, err := s.store.Status(r.Context(), id)
	if errors.Is(err, store.ErrNotFound) || (err == nil && st.User != p.user.Name) {
		return notFound("status")
	} else if err != nil {
		return err
	}
	s.writeJSON(w, http.StatusOK, newStatusResource(st))
	return nil
}
