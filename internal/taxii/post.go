package taxii

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"

	"github.com/google/uuid"

	"github.com/entente/entente/internal/stix"
	"github.com/entente/entente/internal/store"
)

// addChunk is how many objects go to the store per transaction: big enough
// to amortize the commit, small enough that a large POST does not hold the
// store's write lock for long.
const addChunk = 1000

// addObjects is section 5.5 (Add Objects). Bad objects become failures in
// the status and never sink the rest of the envelope. The whole envelope
// is processed before the answer, so the status is complete unless the
// store failed.
func (s *Server) addObjects(w http.ResponseWriter, r *http.Request, p *principal) error {
	c, _, write, err := s.loadCollection(r, p)
	if err != nil {
		return err
	}
	if !write {
		return forbidden("write to")
	}
	if err := checkContentType(r.Header.Get("Content-Type")); err != nil {
		return err
	}
	body, err := s.readBody(w, r)
	if err != nil {
		return err
	}
	raws, err := stix.ParseEnvelope(body, stix.Limits{MaxObjects: s.cfg.MaxObjects, MaxDepth: s.cfg.MaxDepth})
	switch {
	case errors.Is(err, stix.ErrTooManyObjects):
		return newError(http.StatusRequestEntityTooLarge, "too many objects in one request: at most %d", s.cfg.MaxObjects)
	case errors.Is(err, stix.ErrTooDeep):
		return badRequest("%v", err)
	case errors.Is(err, stix.ErrNotEnvelope):
		return newError(http.StatusUnprocessableEntity, "%v", err)
	case err != nil:
		return badRequest("%v", err)
	}

	id, err := uuid.NewRandomFromReader(readerFunc(s.readRand))
	if err != nil {
		return fmt.Errorf("status id: %w", err)
	}
	st := store.Status{
		ID:               id.String(),
		Collection:       c.ID,
		User:             p.user.Name,
		RequestTimestamp: s.now().UTC(),
		Total:            len(raws),
	}
	ctx := r.Context()
	if err := s.store.CreateStatus(ctx, st); err != nil {
		return err
	}
	for start := 0; start < len(raws); start += addChunk {
		chunk := raws[start:min(start+addChunk, len(raws))]
		writes := make([]store.Write, 0, len(chunk))
		var failures []store.StatusDetail
		for _, raw := range chunk {
			obj, err := stix.Parse(raw)
			if err != nil {
				d := rejected(raw, err)
				s.log.DebugContext(ctx, "taxii: object rejected", "user", p.user.Name, "collection", c.ID, "id", d.ID, "err", err)
				failures = append(failures, d)
				continue
			}
			writes = append(writes, store.Write{Object: obj, ProducerOrg: p.org.Name, ProducerUser: p.user.Name})
		}
		if _, err := s.store.AddObjects(ctx, c.ID, st.ID, writes, failures); err != nil {
			if ctx.Err() != nil {
				return ctx.Err() // the client left; the status says how far it got
			}
			ae := newError(http.StatusInternalServerError, "storing objects failed; the status tells which were stored")
			ae.details = map[string]string{"status_id": st.ID}
			s.log.ErrorContext(ctx, "taxii: add objects", "status", st.ID, "err", err)
			return ae
		}
	}
	done, err := s.store.Status(ctx, st.ID)
	if err != nil {
		return err
	}
	s.writeJSON(w, http.StatusAccepted, newStatusResource(done))
	return nil
}

// readBody reads the request body up to MaxBodyBytes.
func (s *Server) readBody(w http.ResponseWriter, r *http.Request) ([]byte, error) {
	tooLarge := newError(http.StatusRequestEntityTooLarge, "request body is larger than max_content_length (%d bytes)", s.cfg.MaxBodyBytes)
	if r.ContentLength > s.cfg.MaxBodyBytes {
		return nil, tooLarge
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, s.cfg.MaxBodyBytes))
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return nil, tooLarge
	} else if err != nil {
		return nil, badRequest("reading the request body: %v", err)
	}
	return body, nil
}

// rejected is the status failure of an object that did not validate,
// naming it as well as it can be named.
func rejected(raw json.RawMessage, err error) store.StatusDetail {
	var head struct {
		ID       string `json:"id"`
		Modified string `json:"modified"`
		Created  string `json:"created"`
	}
	_ = json.Unmarshal(raw, &head) // best effort: the object is invalid anyway
	d := store.StatusDetail{ID: truncate(head.ID, 300), Message: truncate(err.Error(), 1000)}
	for _, ts := range []string{head.Modified, head.Created} {
		if t, err := stix.ParseTimestamp(ts); err == nil {
			d.Version = t
			break
		}
	}
	return d
}

// readerFunc adapts the server's locked random source to io.Reader.
type readerFunc func([]byte) error

func (f readerFunc) Read(b []byte) (int, error) {
	if err := f(b); err != nil {
		return 0, err
	}
	return len(b), nil
}
