// Package taxiiclient is a TAXII 2.1 client: what another node, a script or
// a benchmark uses to read and write collections on an Entente node (or any
// TAXII 2.1 server).
//
// It pages the way deployed clients do: by added_after set to the
// X-TAXII-Date-Added-Last header of the previous page (as the OASIS
// taxii2-client does), or by the server's opaque next token. Entente's
// server makes both lossless; against other servers the first can lose
// objects that share one date_added, which is why [Client.Walk] lets the
// caller choose.
//
// It is not a STIX validator: it hands back raw JSON objects.
package taxiiclient

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/entente/entente/internal/stix"
)

// MediaType is the TAXII 2.1 media type.
const MediaType = "application/taxii+json;version=2.1"

// Client talks to one TAXII 2.1 API root.
type Client struct {
	// APIRoot is the API root URL, e.g. https://127.0.0.1:8443/api1/ (required).
	APIRoot string
	// HTTP is the client to use (required: it carries the TLS trust).
	HTTP *http.Client
	// User and Token authenticate with HTTP Basic when User is set,
	// with a Bearer token otherwise.
	User, Token string
	// MaxResponseBytes bounds a response body (default 256 MiB).
	MaxResponseBytes int64
}

// Error is a TAXII error answer.
type Error struct {
	StatusCode  int
	Title       string `json:"title"`
	Description string `json:"description"`
}

func (e *Error) Error() string {
	return fmt.Sprintf("taxii: HTTP %d: %s: %s", e.StatusCode, e.Title, e.Description)
}

// Envelope is a page of objects.
type Envelope struct {
	More    bool              `json:"more"`
	Next    string            `json:"next"`
	Objects []json.RawMessage `json:"objects"`
}

// Page is an envelope with its date-added headers.
type Page struct {
	Envelope
	DateAddedFirst, DateAddedLast string
}

// Status is a TAXII status resource.
type Status struct {
	ID           string         `json:"id"`
	Status       string         `json:"status"`
	TotalCount   int            `json:"total_count"`
	SuccessCount int            `json:"success_count"`
	FailureCount int            `json:"failure_count"`
	PendingCount int            `json:"pending_count"`
	Successes    []StatusDetail `json:"successes"`
	Failures     []StatusDetail `json:"failures"`
}

// StatusDetail is one object's outcome.
type StatusDetail struct {
	ID      string `json:"id"`
	Version string `json:"version"`
	Message string `json:"message"`
}

// Do sends a request to a path under the API root and decodes a JSON
// answer into out (when out is not nil; a *[]byte receives the body as it
// is). It returns the response headers.
func (c *Client) Do(ctx context.Context, method, path string, q url.Values, body []byte, out any) (http.Header, error) {
	u := strings.TrimSuffix(c.APIRoot, "/") + "/" + strings.TrimPrefix(path, "/")
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, u, rd)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", MediaType)
	if body != nil {
		req.Header.Set("Content-Type", MediaType)
	}
	if c.User != "" {
		req.SetBasicAuth(c.User, c.Token)
	} else if c.Token != "" {
		req.Header.Set("Authorization", "Bearer "+c.Token)
	}
	resp, err := c.HTTP.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	limit := c.MaxResponseBytes
	if limit <= 0 {
		limit = 256 << 20
	}
	if resp.ContentLength > limit {
		return nil, fmt.Errorf("taxii: response larger than %d bytes", limit)
	}
	var buf bytes.Buffer
	if resp.ContentLength > 0 {
		buf.Grow(int(resp.ContentLength) + bytes.MinRead) // one allocation, not a doubling series
	}
	if _, err := buf.ReadFrom(io.LimitReader(resp.Body, limit+1)); err != nil {
		return nil, err
	}
	data := buf.Bytes()
	if int64(len(data)) > limit {
		return nil, fmt.Errorf("taxii: response larger than %d bytes", limit)
	}
	if resp.StatusCode >= 300 {
		e := &Error{StatusCode: resp.StatusCode}
		_ = json.Unmarshal(data, e)
		return resp.Header, e
	}
	if raw, ok := out.(*[]byte); ok {
		*raw = data // the caller decodes
		return resp.Header, nil
	}
	if out != nil && len(data) > 0 {
		if err := json.Unmarshal(data, out); err != nil {
			return resp.Header, fmt.Errorf("taxii: decoding %s %s: %w", method, path, err)
		}
	}
	return resp.Header, nil
}

// Objects reads one page of a collection's objects.
func (c *Client) Objects(ctx context.Context, collection string, q url.Values) (Page, error) {
	var p Page
	var raw []byte
	h, err := c.Do(ctx, http.MethodGet, "collections/"+collection+"/objects/", q, nil, &raw)
	if err != nil {
		return p, err
	}
	if len(raw) > 0 {
		// stix.ReadEnvelope splits the page in one pass; encoding/json
		// would scan it twice and copy every object.
		env, err := stix.ReadEnvelope(raw, stix.Limits{MaxObjects: 1 << 20, MaxDepth: 1000})
		if err != nil {
			return p, fmt.Errorf("taxii: reading objects page: %w", err)
		}
		p.Envelope = Envelope{More: env.More, Next: env.Next, Objects: env.Objects}
	}
	p.DateAddedFirst = h.Get("X-TAXII-Date-Added-First")
	p.DateAddedLast = h.Get("X-TAXII-Date-Added-Last")
	return p, nil
}

// Add posts an envelope of objects and returns the status resource.
func (c *Client) Add(ctx context.Context, collection string, objects []json.RawMessage) (Status, error) {
	// The envelope is written by hand: json.Marshal would re-validate and
	// re-compact every object, which are JSON already.
	size := 16
	for _, o := range objects {
		size += len(o) + 1
	}
	body := make([]byte, 0, size)
	body = append(body, `{"objects":[`...)
	for i, o := range objects {
		if i > 0 {
			body = append(body, ',')
		}
		body = append(body, o...)
	}
	body = append(body, "]}"...)
	var s Status
	_, err := c.Do(ctx, http.MethodPost, "collections/"+collection+"/objects/", nil, body, &s)
	return s, err
}

// Paging chooses how Walk asks for the next page.
type Paging int

const (
	// ByNext follows the server's next token.
	ByNext Paging = iota
	// ByAddedAfter sets added_after to the previous page's
	// X-TAXII-Date-Added-Last, as taxii2-client does.
	ByAddedAfter
)

// Walk reads every object of a collection matching q, page by page of
// limit objects, calling fn with each page's objects.
func (c *Client) Walk(ctx context.Context, collection string, q url.Values, limit int, how Paging, fn func([]json.RawMessage) error) error {
	base := url.Values{}
	for k, v := range q {
		base[k] = v
	}
	base.Set("limit", strconv.Itoa(limit))
	cur := base
	for {
		p, err := c.Objects(ctx, collection, cur)
		if err != nil {
			return err
		}
		if len(p.Objects) > 0 {
			if err := fn(p.Objects); err != nil {
				return err
			}
		}
		if !p.More || len(p.Objects) == 0 {
			return nil
		}
		cur = url.Values{}
		for k, v := range base {
			cur[k] = v
		}
		switch how {
		case ByNext:
			if p.Next == "" {
				return fmt.Errorf("taxii: server said more but gave no next token")
			}
			cur.Set("next", p.Next)
		case ByAddedAfter:
			if p.DateAddedLast == "" {
				return fmt.Errorf("taxii: server gave no X-TAXII-Date-Added-Last")
			}
			cur.Set("added_after", p.DateAddedLast)
		}
	}
}
