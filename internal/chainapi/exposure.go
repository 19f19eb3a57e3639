package chainapi

import (
	"errors"
	"net/http"
	"strconv"

	"github.com/entente/entente/internal/attrib/tagfile"
	"github.com/entente/entente/internal/chainindex"
	"github.com/entente/entente/internal/httpauth"
	"github.com/entente/entente/internal/trace"
)

// maxMembers bounds max_members, as the CLI bounds --max-members: a larger
// cluster is an exchange or a service, asked about address by address.
const maxMembers = 100_000

// exposureBody is the answer of GET exposure, shaped as 'entente chain
// exposure --json'.
type exposureBody struct {
	Address string           `json:"address"`
	Cluster *exposureCluster `json:"cluster,omitempty"` // when cluster=true
	Policy  string           `json:"policy"`
	Starts  int              `json:"starts"` // outputs traced
	trace.Exposure
}

type exposureCluster struct {
	ID   uint32 `json:"id"`
	Size uint32 `json:"size"`
}

// exposure answers how much of an address's (or its cluster's) money went
// to and came from each category of attributed entity: two traces, one
// each way, with the trace endpoint's parameters.
func (h *Handler) exposure(w http.ResponseWriter, r *http.Request, _ *httpauth.Principal) error {
	q := r.URL.Query()
	addr := q.Get("address")
	if addr == "" {
		return badRequest("address is required")
	}
	cluster := false
	if s := q.Get("cluster"); s != "" {
		var err error
		if cluster, err = strconv.ParseBool(s); err != nil {
			return badRequest("cluster=%.40q: want true or false", s)
		}
	}
	limit, err := intParam(r, "max_members", 1000, 1, maxMembers)
	if err != nil {
		return err
	}
	opts, want, err := traceParams(r)
	if err != nil {
		return err
	}
	if err := h.checkAddress(addr); err != nil {
		return err
	}
	return h.withIndex(r.Context(), func(ix *chainindex.Index, tf *tagfile.File) error {
		if opts.Labels, err = h.stopLabels(ix, tf, want); err != nil {
			return err
		}
		body := exposureBody{Address: addr, Policy: opts.Policy.String()}
		var starts []trace.Start
		if cluster {
			var c exposureCluster
			starts, c, err = clusterStarts(ix, addr, int(limit))
			body.Cluster = &c
		} else {
			starts, err = ix.TraceStarts(trace.Spec{Kind: trace.SpecAddress, Address: addr}, maxTraceStarts)
			if err != nil && !errors.Is(err, chainindex.ErrNotFound) && !errors.Is(err, chainindex.ErrCorrupt) {
				err = newError(http.StatusUnprocessableEntity, "address %s received more than %d outputs, too many to trace at once",
					addr, maxTraceStarts)
			}
		}
		var ae *apiError
		if err != nil && !errors.As(err, &ae) {
			return lookupError(err)
		}
		if err != nil {
			return err
		}
		body.Starts = len(starts)
		body.Exposure, err = trace.ExposureOf(r.Context(), ix, starts, opts)
		if errors.Is(err, trace.ErrBadOptions) {
			return badRequest("%v", err)
		}
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, body)
		return nil
	})
}

// clusterStarts returns every output the members of addr's cluster
// received: a 422 for a cluster of more than limit addresses or more than
// maxTraceStarts outputs.
func clusterStarts(ix *chainindex.Index, addr string, limit int) ([]trace.Start, exposureCluster, error) {
	starts, root, size, err := ix.ClusterStarts(addr, limit, maxTraceStarts)
	c := exposureCluster{ID: root, Size: size}
	var tm *chainindex.TooManyError
	switch {
	case errors.As(err, &tm) && tm.MembersOverMax:
		return nil, c, newError(http.StatusUnprocessableEntity,
			"the cluster of %s has %d addresses, more than max_members=%d: raise it (up to %d) or drop cluster=true",
			addr, size, limit, maxMembers)
	case errors.As(err, &tm):
		return nil, c, newError(http.StatusUnprocessableEntity,
			"the cluster of %s (%d addresses) received more than %d outputs, too many to trace at once", addr, size, maxTraceStarts)
	}
	return starts, c, err
}
