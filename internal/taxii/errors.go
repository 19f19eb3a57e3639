package taxii

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
)

// apiError is an answer other than success: it becomes a TAXII error
// resource with the given HTTP status. Handlers return it; anything else
// they return is a server fault (500) and is logged.
type apiError struct {
	status      int
	title       string
	description string
	details     map[string]string // optional, e.g. the status id of a failed POST
}

func (e *apiError) Error() string { return e.title + ": " + e.description }

func newError(status int, format string, args ...any) *apiError {
	return &apiError{status: status, title: http.StatusText(status), description: fmt.Sprintf(format, args...)}
}

func badRequest(format string, args ...any) *apiError {
	return newError(http.StatusBadRequest, format, args...)
}

func notFound(what string) *apiError {
	return newError(http.StatusNotFound, "%s not found", what)
}

// errorResource is the TAXII 2.1 error message (section 3.6.1).
type errorResource struct {
	Title       string            `json:"title"`
	Description string            `json:"description,omitempty"`
	ErrorID     string            `json:"error_id,omitempty"`
	HTTPStatus  string            `json:"http_status"`
	Details     map[string]string `json:"details,omitempty"`
}

// writeError answers err as a TAXII error resource. Server faults are
// logged and described generically: their text may name internals.
func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	id := s.errorID()
	var ae *apiError
	if !errors.As(err, &ae) {
		if errors.Is(err, context.Canceled) && r.Context().Err() != nil {
			// The client went away; nobody reads the answer.
			ae = newError(499, "request canceled")
			ae.title = "Client Closed Request"
		} else {
			s.log.ErrorContext(r.Context(), "taxii: request failed", "method", r.Method, "path", r.URL.Path, "error_id", id, "err", err)
			ae = newError(http.StatusInternalServerError, "internal error %s; see the node log", id)
		}
	}
	if ae.status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Basic realm="entente"`)
	}
	s.writeJSON(w, ae.status, errorResource{
		Title:       ae.title,
		Description: ae.description,
		ErrorID:     id,
		HTTPStatus:  strconv.Itoa(ae.status),
		Details:     ae.details,
	})
}
