package chainapi

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"os"
	"runtime/debug"
	"strconv"
	"strings"

	"github.com/entente/entente/internal/attrib"
	"github.com/entente/entente/internal/attrib/tagfile"
	"github.com/entente/entente/internal/chainindex"
	"github.com/entente/entente/internal/httpauth"
	"github.com/entente/entente/internal/trace"
)

// Bounds, the CLI's where it has one.
const (
	maxLimit       = 1_000_000
	maxTraceStarts = 100_000
	maxPostTags    = 10_000
)

type handlerFunc func(w http.ResponseWriter, r *http.Request, p *httpauth.Principal) error

func (h *Handler) routes() {
	h.mux = http.NewServeMux()
	for pattern, fn := range map[string]handlerFunc{
		"GET " + Prefix + "stats":          h.stats,
		"GET " + Prefix + "address/{addr}": h.address,
		"GET " + Prefix + "cluster/{addr}": h.cluster,
		"GET " + Prefix + "trace":          h.trace,
		"GET " + Prefix + "exposure":       h.exposure,
		"GET " + Prefix + "tags":           h.listTags,
		"POST " + Prefix + "tags":          h.addTags,
	} {
		h.mux.Handle(pattern, h.endpoint(fn))
	}
	h.mux.Handle(Prefix, h.endpoint(func(w http.ResponseWriter, r *http.Request, _ *httpauth.Principal) error {
		return newError(http.StatusNotFound, "no chain API endpoint %s %s", r.Method, r.URL.Path)
	}))
}

// endpoint authenticates, then runs fn and answers its error.
func (h *Handler) endpoint(fn handlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, err := h.auth.Authenticate(r)
		if err == nil {
			err = fn(w, r, p)
		}
		if err != nil {
			h.writeError(w, r, err)
		}
	})
}

// ServeHTTP serves the paths under [Prefix].
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) { h.mux.ServeHTTP(w, r) }

// withIndex runs fn with the index and tags, one request at a time.
//
// The index is read through memory maps, where a file cut shorter than
// the mapping (a writer recovering from a crash cuts files back to its
// checkpoint) or a disk read error is a fault, not an error return. The
// fault fails the request with 503 and drops the index, which the next
// request opens again; without this guard it would kill the node.
func (h *Handler) withIndex(ctx context.Context, fn func(*chainindex.Index, *tagfile.File) error) (err error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	ix, err := h.index(ctx)
	if err != nil {
		return err
	}
	tf, err := h.tagFile(ctx)
	if err != nil {
		return err
	}
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer func() {
		r := recover()
		if r == nil {
			return
		}
		if _, fault := r.(interface{ Addr() uintptr }); !fault {
			panic(r)
		}
		h.cfg.Logger.ErrorContext(ctx, "chainapi: the chain index faulted on read; reopening it", "fault", r)
		if cerr := h.ix.Close(); cerr != nil {
			h.cfg.Logger.WarnContext(ctx, "chainapi: close index", "err", cerr)
		}
		h.ix = nil
		err = newError(http.StatusServiceUnavailable, "the chain index could not be read (its files changed under the node, or the disk failed); try again")
	}()
	return fn(ix, tf)
}

func (h *Handler) stats(w http.ResponseWriter, r *http.Request, _ *httpauth.Principal) error {
	return h.withIndex(r.Context(), func(ix *chainindex.Index, _ *tagfile.File) error {
		st, err := ix.Stats()
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, st)
		return nil
	})
}

// intParam reads an optional integer query parameter in [lo, hi].
func intParam(r *http.Request, name string, def, lo, hi int64) (int64, error) {
	s := r.URL.Query().Get(name)
	if s == "" {
		return def, nil
	}
	v, err := strconv.ParseInt(s, 10, 64)
	if err != nil || v < lo || v > hi {
		return 0, badRequest("%s=%.40q: want an integer in [%d, %d]", name, s, lo, hi)
	}
	return v, nil
}

// checkAddress answers a malformed address 400 before the index is asked.
func (h *Handler) checkAddress(addr string) error {
	if err := attrib.CheckAddress(h.cfg.Network, addr); err != nil {
		return badRequest("%v", err)
	}
	return nil
}

// lookupError maps an index look-up failure to its answer: an address
// the index cannot parse (say, bech32 not in lower case) is the caller's,
// a corrupt index the node's.
func lookupError(err error) error {
	switch {
	case errors.Is(err, chainindex.ErrNotFound):
		return newError(http.StatusNotFound, "%v", err)
	case errors.Is(err, chainindex.ErrCorrupt):
		return err
	}
	return badRequest("%v", err)
}

func (h *Handler) address(w http.ResponseWriter, r *http.Request, _ *httpauth.Principal) error {
	addr := r.PathValue("addr")
	limit, err := intParam(r, "limit", 100, 0, maxLimit)
	if err != nil {
		return err
	}
	if err := h.checkAddress(addr); err != nil {
		return err
	}
	return h.withIndex(r.Context(), func(ix *chainindex.Index, tf *tagfile.File) error {
		tags := append([]attrib.Tag{}, tf.Tags(addr)...)
		a, err := ix.AddressInfo(addr, int(limit))
		if errors.Is(err, chainindex.ErrNotFound) && len(tags) > 0 {
			// A sanctioned address is worth knowing about before it is paid.
			writeJSON(w, http.StatusOK, struct {
				Address string       `json:"address"`
				Indexed bool         `json:"indexed"`
				Tags    []attrib.Tag `json:"tags"`
			}{addr, false, tags})
			return nil
		}
		if err != nil {
			return lookupError(err)
		}
		writeJSON(w, http.StatusOK, struct {
			chainindex.Address
			Indexed bool         `json:"indexed"`
			Tags    []attrib.Tag `json:"tags"`
		}{a, true, tags})
		return nil
	})
}

// maxAPINodes bounds max_nodes over the API.
const maxAPINodes = 1_000_000

func (h *Handler) cluster(w http.ResponseWriter, r *http.Request, _ *httpauth.Principal) error {
	addr := r.PathValue("addr")
	limit, err := intParam(r, "limit", 1000, 0, maxLimit)
	if err != nil {
		return err
	}
	if err := h.checkAddress(addr); err != nil {
		return err
	}
	change, err := changeParams(r)
	if err != nil {
		return err
	}
	return h.withIndex(r.Context(), func(ix *chainindex.Index, tf *tagfile.File) error {
		id, err := ix.LookupAddress(addr)
		if err != nil {
			return lookupError(err)
		}
		if change.h != 0 {
			return h.changeCluster(w, r.Context(), ix, tf, addr, id, int(limit), change)
		}
		root, size, err := ix.ClusterOf(id)
		if err != nil {
			return err
		}
		ids, err := ix.ClusterMembers(root, int(limit))
		if err != nil {
			return err
		}
		return writeCluster(w, ix, tf, clusterAnswer{Address: addr, Cluster: root, Size: size}, ids, func(a string) (bool, error) {
			id, err := ix.LookupAddress(a)
			if err != nil {
				return false, nil // not on this chain, or another currency's
			}
			r, _, err := ix.ClusterOf(id)
			return r == root, err
		})
	})
}

func (h *Handler) trace(w http.ResponseWriter, r *http.Request, _ *httpauth.Principal) error {
	q := r.URL.Query()
	from := q.Get("from")
	if from == "" {
		return badRequest("from is required: an address, a txid or txid:n")
	}
	spec, err := trace.ParseSpec(from)
	if err != nil {
		return badRequest("from: %v", err)
	}
	direction, err := trace.ParseDirection(defaulted(q.Get("direction"), "forward"))
	if err != nil {
		return badRequest("direction: %v", err)
	}
	opts, want, err := traceParams(r)
	if err != nil {
		return err
	}
	opts.Direction = direction
	// demix=true carries a forward trace on through custodial mixers by
	// amount and timing, with the default bounds (trace.DemixOptions).
	if v := q.Get("demix"); v != "" {
		if opts.Demix, err = strconv.ParseBool(v); err != nil {
			return badRequest("demix %q: want true or false", v)
		}
		if opts.Demix && direction != trace.Forward {
			return badRequest("demix: de-mixing follows deposits forward only")
		}
	}
	if spec.Kind == trace.SpecAddress {
		if err := h.checkAddress(spec.Address); err != nil {
			return err
		}
	}
	return h.withIndex(r.Context(), func(ix *chainindex.Index, tf *tagfile.File) error {
		if opts.Labels, err = h.stopLabels(ix, tf, want); err != nil {
			return err
		}
		starts, err := ix.TraceStarts(spec, maxTraceStarts)
		if errors.Is(err, chainindex.ErrNotFound) {
			return lookupError(err)
		}
		if err != nil && !errors.Is(err, chainindex.ErrCorrupt) {
			// Too many outputs to start from: the caller must narrow it.
			return newError(http.StatusUnprocessableEntity, "%v", err)
		}
		if err != nil {
			return err
		}
		res, err := trace.Trace(r.Context(), ix, starts, opts)
		if errors.Is(err, trace.ErrBadOptions) {
			return badRequest("%v", err)
		}
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, res)
		return nil
	})
}

// traceParams reads the parameters trace and exposure share: policy, the
// limits of the walk, and stop_at, the tag categories where it stops
// (attrib.DefaultStopCategories when absent, none when empty).
func traceParams(r *http.Request) (trace.Options, map[attrib.Category]bool, error) {
	q := r.URL.Query()
	var opts trace.Options
	var err error
	if opts.Policy, err = trace.ParsePolicy(defaulted(q.Get("policy"), "fifo")); err != nil {
		return opts, nil, badRequest("policy: %v", err)
	}
	depth, err := intParam(r, "depth", 10, 1, 1000)
	if err != nil {
		return opts, nil, err
	}
	minValue, err := intParam(r, "min_value", 1, 1, 21e14)
	if err != nil {
		return opts, nil, err
	}
	fanout, err := intParam(r, "fanout", 100, 1, 1<<20)
	if err != nil {
		return opts, nil, err
	}
	// At most a million over the API (about 15 s and 0.8 GB for an
	// exposure): a request holds the index for its whole trace, and a
	// bigger walk belongs on the command line, which allows ten million.
	maxNodes, err := intParam(r, "max_nodes", 100_000, 1, maxAPINodes)
	if err != nil {
		return opts, nil, err
	}
	opts.MaxDepth, opts.MinValue, opts.MaxFanout, opts.MaxNodes = int(depth), minValue, int(fanout), int(maxNodes)
	stopAt := attrib.DefaultStopCategories
	if q.Has("stop_at") {
		stopAt = q.Get("stop_at")
	}
	var want map[attrib.Category]bool
	if stopAt != "" {
		if want, err = attrib.ParseCategories(stopAt); err != nil {
			return opts, nil, badRequest("stop_at: %v", err)
		}
	}
	return opts, want, nil
}

func defaulted(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

func (h *Handler) listTags(w http.ResponseWriter, r *http.Request, _ *httpauth.Principal) error {
	q := r.URL.Query()
	var want attrib.Category
	if c := q.Get("category"); c != "" {
		cat, ok := attrib.ParseCategory(c)
		if !ok {
			return badRequest("category %.40q is not in the vocabulary", c)
		}
		want = cat
	}
	addr := q.Get("address")
	h.mu.Lock()
	defer h.mu.Unlock()
	tf, err := h.tagFile(r.Context())
	if err != nil {
		return err
	}
	tags := []attrib.Tag{}
	if addr != "" {
		for _, t := range tf.Tags(addr) {
			if want == "" || t.Category == want {
				tags = append(tags, t)
			}
		}
	} else {
		for t := range tf.All() {
			if want == "" || t.Category == want {
				tags = append(tags, t)
			}
		}
	}
	writeJSON(w, http.StatusOK, tags)
	return nil
}

// addTags appends tags to the node's tag file: all or nothing, each
// checked as 'entente chain tag add' checks it.
func (h *Handler) addTags(w http.ResponseWriter, r *http.Request, p *httpauth.Principal) error {
	if !p.User.Role.CanWrite() {
		return newError(http.StatusForbidden, "user %s has role %s: adding tags needs analyst or admin", p.User.Name, p.User.Role)
	}
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "application/json" {
		return newError(http.StatusUnsupportedMediaType, "send the tags as Content-Type: application/json")
	}
	body := http.MaxBytesReader(w, r.Body, h.cfg.MaxBodyBytes)
	tags, err := decodeTags(body)
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		return newError(http.StatusRequestEntityTooLarge, "request body larger than %d bytes", tooBig.Limit)
	}
	if err != nil {
		return err
	}
	for i := range tags {
		t := &tags[i]
		if t.Currency == "" {
			t.Currency = "BTC"
		}
		if t.Source == "" {
			t.Source = "api:" + p.User.Name
		}
		if c, ok := attrib.ParseCategory(string(t.Category)); ok && c != t.Category {
			t.Original, t.Category = strings.TrimSpace(string(t.Category)), c
		}
		if err := t.Validate(); err != nil {
			return newError(http.StatusUnprocessableEntity, "tag %d: %v", i, err)
		}
		if t.Currency == "BTC" {
			if err := attrib.CheckAddress(h.cfg.Network, t.Address); err != nil {
				return newError(http.StatusUnprocessableEntity, "tag %d: %v", i, err)
			}
		}
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if err := os.MkdirAll(h.chainDir(), 0o755); err != nil {
		return err
	}
	tf, err := tagfile.Open(r.Context(), tagfile.Config{Path: h.tagPath(), Now: h.cfg.Now, Logger: h.cfg.Logger})
	if err != nil {
		return err
	}
	added, err := tf.Append(r.Context(), tags)
	if cerr := tf.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, struct {
		Submitted int `json:"submitted"`
		Added     int `json:"added"`
	}{len(tags), added})
	return nil
}

// decodeTags reads a JSON array of at most maxPostTags tags.
func decodeTags(body io.Reader) ([]attrib.Tag, error) {
	dec := json.NewDecoder(body)
	dec.DisallowUnknownFields()
	tok, err := dec.Token()
	if err != nil {
		return nil, jsonError(err)
	}
	if d, ok := tok.(json.Delim); !ok || d != '[' {
		return nil, badRequest("want a JSON array of tags")
	}
	var tags []attrib.Tag
	for dec.More() {
		if len(tags) >= maxPostTags {
			return nil, newError(http.StatusRequestEntityTooLarge, "more than %d tags in one request", maxPostTags)
		}
		var t attrib.Tag
		if err := dec.Decode(&t); err != nil {
			return nil, jsonError(err)
		}
		tags = append(tags, t)
	}
	if _, err := dec.Token(); err != nil {
		return nil, jsonError(err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, badRequest("trailing data after the array of tags")
	}
	if len(tags) == 0 {
		return nil, badRequest("empty array: no tags to add")
	}
	return tags, nil
}

func jsonError(err error) error {
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		return err
	}
	return badRequest("malformed JSON: %v", err)
}
