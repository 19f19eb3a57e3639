package score

import (
	"context"
	"fmt"
	"slices"

	"github.com/entente/entente/internal/trace"
)

// DefaultTraceDepth is the trace depth, in transactions, when
// Config.TraceDepth is 0.
const DefaultTraceDepth = 10

// maxPayments bounds the ransom payments read from the truth: a
// 100-million-transaction economy has about 55,000.
const maxPayments = 1 << 20

// Payment is one ransom payment to trace: its paid output and where the
// truth says its incident was cashed out.
type Payment struct {
	Incident string
	Start    trace.Start
	Value    int64 // satoshis, from the truth
	// CashedAt holds the entities (exchange ids, as labelled) at which
	// the incident's operator cashed out.
	CashedAt map[string]bool
}

// TraceRow is how one policy attributes the value of every ransom payment.
type TraceRow struct {
	Policy    string `json:"policy"`
	Depth     int    `json:"depth"`
	Payments  int    `json:"payments"`
	Incidents int    `json:"incidents"`
	Value     int64  `json:"value"` // ransom satoshis traced
	// Right reached the exchanges where the incident was really cashed
	// out, Wrong other exchanges, Unattributed no exchange (the mixer's
	// pool, fees, unspent, the depth limit). Poison taints every output
	// in full, so its Right and Wrong can sum past Value; Unattributed is
	// then 0.
	Right             int64   `json:"right"`
	Wrong             int64   `json:"wrong"`
	Unattributed      int64   `json:"unattributed"`
	RightShare        float64 `json:"right_share"`
	WrongShare        float64 `json:"wrong_share"`
	UnattributedShare float64 `json:"unattributed_share"`
	// PerIncident is the distribution over incidents of each incident's
	// own shares: a good total can hide incidents traced badly.
	PerIncident Shares `json:"per_incident"`
	// Truncated counts traces that hit the node limit.
	Truncated  int `json:"truncated"`
	TxsVisited int `json:"txs_visited"`
}

// Shares is a distribution of per-incident shares.
type Shares struct {
	RightMin     float64 `json:"right_min"`
	RightMedian  float64 `json:"right_median"`
	WrongMedian  float64 `json:"wrong_median"`
	WrongMax     float64 `json:"wrong_max"`
	Unattributed float64 `json:"unattributed_median"`
}

// TraceRansoms traces every payment forward from its paid output with
// policy to depth transactions, stopping at labelled addresses, and sums
// where the value arrived. Labels should hold the exchanges' addresses,
// widened to their clusters by [trace.ClusterLabels]. A trace whose total
// differs from the payment's value means the truth and g disagree: an
// error.
func TraceRansoms(ctx context.Context, g trace.Graph, payments []Payment, labels trace.Labeler, policy trace.Policy, depth int) (TraceRow, error) {
	row := TraceRow{Policy: policy.String(), Depth: depth, Payments: len(payments)}
	type sums struct{ value, right, wrong int64 }
	byIncident := map[string]*sums{}
	var order []string
	for _, p := range payments {
		r, err := trace.Trace(ctx, g, []trace.Start{p.Start}, trace.Options{
			Policy: policy, MaxDepth: depth, Labels: labels,
			MaxPaths: 1, // paths are not scored; one keeps results small
		})
		if err != nil {
			return row, fmt.Errorf("score: tracing incident %s: %w", p.Incident, err)
		}
		if r.Total != p.Value {
			return row, fmt.Errorf("%w: incident %s: payment of %d sat is an output of %d sat in the index", ErrTruth, p.Incident, p.Value, r.Total)
		}
		s := byIncident[p.Incident]
		if s == nil {
			s = &sums{}
			byIncident[p.Incident] = s
			order = append(order, p.Incident)
		}
		s.value += r.Total
		for _, e := range r.Entities {
			if p.CashedAt[e.Entity] {
				s.right += e.Value
			} else {
				s.wrong += e.Value
			}
		}
		if r.Truncated {
			row.Truncated++
		}
		row.TxsVisited += r.TxsVisited
	}
	row.Incidents = len(order)
	var right, wrong, unattr []float64
	for _, id := range order {
		s := byIncident[id]
		row.Value += s.value
		row.Right += s.right
		row.Wrong += s.wrong
		right = append(right, share(s.right, s.value))
		wrong = append(wrong, share(s.wrong, s.value))
		unattr = append(unattr, share(rest(s.value, s.right, s.wrong), s.value))
	}
	row.Unattributed = rest(row.Value, row.Right, row.Wrong)
	row.RightShare = share(row.Right, row.Value)
	row.WrongShare = share(row.Wrong, row.Value)
	row.UnattributedShare = share(row.Unattributed, row.Value)
	if len(order) > 0 {
		slices.Sort(right)
		slices.Sort(wrong)
		slices.Sort(unattr)
		row.PerIncident = Shares{
			RightMin: right[0], RightMedian: median(right),
			WrongMedian: median(wrong), WrongMax: wrong[len(wrong)-1],
			Unattributed: median(unattr),
		}
	}
	return row, nil
}

// rest is the value attributed to no exchange, never below 0.
func rest(value, right, wrong int64) int64 { return max(value-right-wrong, 0) }

// share is a/b, 0 for an empty b: no ransom traced, none attributed.
func share(a, b int64) float64 {
	if b <= 0 {
		return 0
	}
	return float64(a) / float64(b)
}

// median of sorted, non-empty xs; the mean of the middle two if even.
func median(xs []float64) float64 {
	n := len(xs)
	if n%2 == 1 {
		return xs[n/2]
	}
	return (xs[n/2-1] + xs[n/2]) / 2
}
