package taxii

import (
	"bytes"
	"net/http"

	"github.com/entente/entente/internal/stix"
	"github.com/entente/entente/internal/store"
)

// Headers of section 3.4.3, with microsecond timestamps so that
// added_after = X-TAXII-Date-Added-Last pages without loss.
const (
	headerDateAddedFirst = "X-TAXII-Date-Added-First"
	headerDateAddedLast  = "X-TAXII-Date-Added-Last"
)

// pageResult is one page of a read endpoint.
type pageResult struct {
	store.Page
	next string // the token continuing the query, when Page.More
}

// readPage runs the query of a read endpoint (objects, manifest, object,
// versions) after checking the user may read the collection, and sets the
// date-added headers.
func (s *Server) readPage(w http.ResponseWriter, r *http.Request, p *principal, ep endpoint, withRaw bool) (pageResult, store.Collection, error) {
	c, read, _, err := s.loadCollection(r, p)
	if err != nil {
		return pageResult{}, c, err
	}
	if !read {
		return pageResult{}, c, forbidden("read")
	}
	objectID := ""
	if ep == epObject || ep == epVersions {
		if objectID, err = pathObjectID(r); err != nil {
			return pageResult{}, c, err
		}
	}
	q, err := parseQuery(ep, r.URL.Query())
	if err != nil {
		return pageResult{}, c, err
	}
	limit := q.limit
	if limit == 0 {
		limit = s.cfg.DefaultLimit
	}
	limit = min(limit, s.cfg.MaxLimit)
	f := q.filter(limit)
	if objectID != "" {
		f.IDs = []string{objectID}
	}
	if ep == epVersions {
		f.Versions = store.VersionMatch{All: true}
	}
	bind := nextState{
		user:       p.user.Name,
		collection: c.ID,
		endpoint:   ep,
		filter:     filterHash(q.filterKey(objectID)),
	}
	if q.next != "" {
		last, err := s.checkNext(q.next, bind)
		if err != nil {
			return pageResult{}, c, err
		}
		if last.After(f.AddedAfter) {
			f.AddedAfter = last
		}
	}
	pg, err := s.store.Query(r.Context(), c, p.viewer(c), f, withRaw)
	if err != nil {
		return pageResult{}, c, err
	}
	res := pageResult{Page: pg}
	if n := len(pg.Entries); n > 0 {
		first, last := pg.Entries[0].DateAdded, pg.Entries[n-1].DateAdded
		w.Header().Set(headerDateAddedFirst, stix.FormatTimestamp(first))
		w.Header().Set(headerDateAddedLast, stix.FormatTimestamp(last))
		if pg.More {
			bind.last = last
			bind.expires = s.now().Add(s.cfg.NextTTL)
			res.next = s.encodeNext(bind)
		}
	}
	return res, c, nil
}

// pathObjectID reads the object id of the path.
func pathObjectID(r *http.Request) (string, error) {
	id := r.PathValue("object")
	if !idRE.MatchString(id) {
		return "", badRequest("object id %q in the path is not a STIX identifier", truncate(id, 64))
	}
	return id, nil
}

// getObjects is section 5.3.
func (s *Server) getObjects(w http.ResponseWriter, r *http.Request, p *principal) error {
	res, _, err := s.readPage(w, r, p, epObjects, true)
	if err != nil {
		return err
	}
	s.writeEnvelope(w, res)
	return nil
}

// getObject is section 5.5. An object the user can see no version of is
// 404; one whose versions the filter excludes is an empty envelope.
func (s *Server) getObject(w http.ResponseWriter, r *http.Request, p *principal) error {
	res, c, err := s.readPage(w, r, p, epObject, true)
	if err != nil {
		return err
	}
	if len(res.Entries) == 0 {
		if err := s.objectVisible(r, p, c); err != nil {
			return err
		}
	}
	s.writeEnvelope(w, res)
	return nil
}

// objectVisible answers 404 unless the user can read some version of the
// path's object.
func (s *Server) objectVisible(r *http.Request, p *principal, c store.Collection) error {
	id := r.PathValue("object")
	pg, err := s.store.Query(r.Context(), c, p.viewer(c), store.Filter{
		IDs:      []string{id},
		Versions: store.VersionMatch{All: true},
		Limit:    1,
	}, false)
	if err != nil {
		return err
	}
	if len(pg.Entries) == 0 {
		return notFound("object")
	}
	return nil
}

// writeEnvelope writes the envelope of section 3.7 by hand: the objects are
// already JSON, and a page can hold MaxLimit of them.
func (s *Server) writeEnvelope(w http.ResponseWriter, res pageResult) {
	size := 64 + len(res.next)
	for _, e := range res.Entries {
		size += len(e.Raw) + 1
	}
	var b bytes.Buffer
	b.Grow(size)
	b.WriteString(`{"more":`)
	if res.More {
		b.WriteString("true")
	} else {
		b.WriteString("false")
	}
	if res.next != "" {
		b.WriteString(`,"next":"`)
		b.WriteString(res.next) // base64url: nothing to escape
		b.WriteByte('"')
	}
	if len(res.Entries) > 0 {
		b.WriteString(`,"objects":[`)
		for i, e := range res.Entries {
			if i > 0 {
				b.WriteByte(',')
			}
			b.Write(e.Raw)
		}
		b.WriteByte(']')
	}
	b.WriteByte('}')
	s.writeBody(w, http.StatusOK, b.Bytes())
}

type manifestRecord struct {
	ID        string `json:"id"`
	DateAdded string `json:"date_added"`
	Version   string `json:"version"`
	MediaType string `json:"media_type"`
}

// manifest is section 5.4.
func (s *Server) manifest(w http.ResponseWriter, r *http.Request, p *principal) error {
	res, _, err := s.readPage(w, r, p, epManifest, false)
	if err != nil {
		return err
	}
	out := struct {
		More    bool             `json:"more"`
		Next    string           `json:"next,omitempty"`
		Objects []manifestRecord `json:"objects,omitempty"`
	}{More: res.More, Next: res.next}
	for _, e := range res.Entries {
		out.Objects = append(out.Objects, manifestRecord{
			ID:        e.ID,
			DateAdded: stix.FormatTimestamp(e.DateAdded),
			Version:   stix.FormatTimestamp(e.Version),
			MediaType: "application/stix+json;version=" + e.SpecVersion,
		})
	}
	s.writeJSON(w, http.StatusOK, out)
	return nil
}

// versions is section 5.7.
func (s *Server) versions(w http.ResponseWriter, r *http.Request, p *principal) error {
	res, c, err := s.readPage(w, r, p, epVersions, false)
	if err != nil {
		return err
	}
	if len(res.Entries) == 0 {
		if err := s.objectVisible(r, p, c); err != nil {
			return err
		}
	}
	out := struct {
		More     bool     `json:"more"`
		Next     string   `json:"next,omitempty"`
		Versions []string `json:"versions,omitempty"`
	}{More: res.More, Next: res.next}
	for _, e := range res.Entries {
		out.Versions = append(out.Versions, stix.FormatTimestamp(e.Version))
	}
	s.writeJSON(w, http.StatusOK, out)
	return nil
}

// deleteObject is section 5.6: without match[version] every version the
// user can see goes.
func (s *Server) deleteObject(w http.ResponseWriter, r *http.Request, p *principal) error {
	c, _, write, err := s.loadCollection(r, p)
	if err != nil {
		return err
	}
	if !write {
		return forbidden("write to")
	}
	id, err := pathObjectID(r)
	if err != nil {
		return err
	}
	q, err := parseQuery(epDelete, r.URL.Query())
	if err != nil {
		return err
	}
	f := q.filter(1)
	f.IDs = []string{id}
	if !f.Versions.All && !f.Versions.First && !f.Versions.Last && len(f.Versions.At) == 0 {
		f.Versions.All = true
	}
	n, err := s.store.Delete(r.Context(), c, p.viewer(c), id, f)
	if err != nil {
		return err
	}
	if n == 0 {
		return notFound("object")
	}
	w.Header().Set("Content-Type", MediaType)
	w.WriteHeader(http.StatusOK)
	return nil
}
