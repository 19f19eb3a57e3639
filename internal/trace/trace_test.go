package trace

import (
	"context"
	"encoding/json"
	"errors"
	"reflect"
	"testing"
)

// entityValues maps entity -> value received.
func entityValues(r Result) map[string]int64 {
	m := map[string]int64{}
	for _, e := range r.Entities {
		m[e.Entity] = e.Value
	}
	return m
}

// twoInThreeOut: tx2 spends A=50 (tainted start) and B=30, pays X=40,
// Y=20, Z=10 with a fee of 10. Each output is a different exchange.
func twoInThreeOut() (*memGraph, uint32, uint32, []uint32) {
	g := &memGraph{}
	a := g.tx(nil, 50)[0]
	b := g.tx(nil, 30)[0]
	outs := g.tx([]uint32{a, b}, 40, 20, 10)
	g.label(outs[0], "X", "exchange")
	g.label(outs[1], "Y", "exchange")
	g.label(outs[2], "Z", "mixer")
	return g, a, b, outs
}

func TestPoliciesForward(t *testing.T) {
	tests := []struct {
		policy Policy
		want   map[string]int64
	}{
		{FIFO, map[string]int64{"X": 40, "Y": 10}},
		{LIFO, map[string]int64{"X": 10, "Y": 20, "Z": 10}},
		{Haircut, map[string]int64{"X": 25, "Y": 12, "Z": 6}}, // 40*50/80, 20*50/80, 10*50/80 rounded down
		{Poison, map[string]int64{"X": 40, "Y": 20, "Z": 10}},
	}
	for _, tt := range tests {
		t.Run(tt.policy.String(), func(t *testing.T) {
			g, a, _, _ := twoInThreeOut()
			r, err := Trace(context.Background(), g, []Start{{a}}, Options{Policy: tt.policy})
			if err != nil {
				t.Fatal(err)
			}
			if got := entityValues(r); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
			if r.Total != 50 || r.TxsVisited != 1 {
				t.Errorf("total %d, %d txs visited", r.Total, r.TxsVisited)
			}
		})
	}
}

func TestPoliciesBackward(t *testing.T) {
	// From Y (20 at offset 40 of the outputs) back to A and B.
	tests := []struct {
		policy Policy
		want   map[string]int64
	}{
		{FIFO, map[string]int64{"A": 10, "B": 10}}, // A [0,50), B [50,80)
		{LIFO, map[string]int64{"A": 20}},          // B [0,30), A [30,80)
		{Haircut, map[string]int64{"A": 12, "B": 7}},
		{Poison, map[string]int64{"A": 50, "B": 30}},
	}
	for _, tt := range tests {
		t.Run(tt.policy.String(), func(t *testing.T) {
			g, a, b, outs := twoInThreeOut()
			g.label(a, "A", "exchange")
			g.label(b, "B", "market")
			r, err := Trace(context.Background(), g, []Start{{outs[1]}}, Options{Policy: tt.policy, Direction: Backward})
			if err != nil {
				t.Fatal(err)
			}
			if got := entityValues(r); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}

// peelChain: 100 -> [10 exA, 89] -> [20 exB, 68] -> [67 exA].
func peelChain() (*memGraph, uint32) {
	g := &memGraph{}
	s := g.tx(nil, 100)[0]
	o1 := g.tx([]uint32{s}, 10, 89)
	g.label(o1[0], "exA", "exchange")
	o2 := g.tx([]uint32{o1[1]}, 20, 68)
	g.label(o2[0], "exB", "exchange")
	o3 := g.tx([]uint32{o2[1]}, 67)
	g.label(o3[0], "exA", "exchange")
	return g, s
}

func TestPeelChain(t *testing.T) {
	tests := []struct {
		name        string
		opts        Options
		want        map[string]int64
		wantStopped int64
	}{
		{"fifo", Options{}, map[string]int64{"exA": 77, "exB": 20}, 0},
		{"haircut", Options{Policy: Haircut}, map[string]int64{"exA": 77, "exB": 20}, 0},
		{"depth 2", Options{MaxDepth: 2}, map[string]int64{"exA": 10, "exB": 20}, 68},
		{"min value 90", Options{MinValue: 90}, map[string]int64{"exA": 10}, 89},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g, s := peelChain()
			r, err := Trace(context.Background(), g, []Start{{s}}, tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			if got := entityValues(r); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
			if r.Stopped != tt.wantStopped {
				t.Errorf("stopped %d, want %d", r.Stopped, tt.wantStopped)
			}
		})
	}
	g, s := peelChain()
	r, err := Trace(context.Background(), g, []Start{{s}}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	exA := r.Entities[0]
	if exA.Entity != "exA" || exA.Arrivals != 2 || exA.FirstHeight != 1 || exA.LastHeight != 3 || exA.Direct != 10 || len(exA.Paths) != 2 {
		t.Fatalf("exA %+v", exA)
	}
	// The long path: start, change, change, cash-out.
	long := exA.Paths[1].Hops
	want := []Hop{{"t0", 0, 100, "a0"}, {"t1", 1, 89, "a2"}, {"t2", 1, 68, "a4"}, {"t3", 0, 67, "a5"}}
	if !reflect.DeepEqual(long, want) {
		t.Errorf("path %+v, want %+v", long, want)
	}
}

func TestConsolidation(t *testing.T) {
	tests := []struct {
		policy Policy
		want   int64
	}{
		{FIFO, 30}, {LIFO, 29}, {Haircut, 29}, {Poison, 99},
	}
	for _, tt := range tests {
		t.Run(tt.policy.String(), func(t *testing.T) {
			g := &memGraph{}
			a := g.tx(nil, 30)[0]
			b := g.tx(nil, 70)[0]
			out := g.tx([]uint32{a, b}, 99)[0]
			g.label(out, "ex", "exchange")
			r, err := Trace(context.Background(), g, []Start{{a}}, Options{Policy: tt.policy})
			if err != nil {
				t.Fatal(err)
			}
			if r.Attributed != tt.want {
				t.Errorf("attributed %d, want %d", r.Attributed, tt.want)
			}
		})
	}
}

// TestRepeatedVisits: a split whose halves meet again in one transaction
// is handled once, conserving the taint; two starts on the same tx too.
func TestRepeatedVisits(t *testing.T) {
	g := &memGraph{}
	s := g.tx(nil, 100)[0]
	split := g.tx([]uint32{s}, 60, 40)
	merge := g.tx(split, 99)
	g.label(merge[0], "ex", "exchange")
	r, err := Trace(context.Background(), g, []Start{{s}, {s}}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if r.TxsVisited != 2 || r.Attributed != 99 || r.Total != 100 || len(r.Entities[0].Paths) != 2 {
		t.Fatalf("%d txs, attributed %d of %d, %d paths", r.TxsVisited, r.Attributed, r.Total, len(r.Entities[0].Paths))
	}
}

func TestLimits(t *testing.T) {
	g := &memGraph{}
	s := g.tx(nil, 1000)[0]
	fan := g.tx([]uint32{s}, 500, 200, 100, 90, 80)
	for _, o := range fan {
		next := g.tx([]uint32{o}, g.outs[o].value-1)
		g.label(next[0], "ex", "exchange")
	}
	tests := []struct {
		name          string
		opts          Options
		wantAttrib    int64
		wantTxs       int
		wantTruncated bool
	}{
		{"none", Options{}, 499 + 199 + 99 + 89 + 79, 6, false},
		{"fan-out 2", Options{MaxFanout: 2}, 499 + 199, 3, false},
		{"nodes 3", Options{MaxNodes: 3}, 499 + 199, 3, true},
		{"min value 95", Options{MinValue: 95}, 499 + 199 + 99, 4, false},
		{"depth 1", Options{MaxDepth: 1}, 0, 1, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := Trace(context.Background(), g, []Start{{s}}, tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			if r.Attributed != tt.wantAttrib || r.TxsVisited != tt.wantTxs || r.Truncated != tt.wantTruncated {
				t.Errorf("attributed %d, %d txs, truncated %v; want %d, %d, %v",
					r.Attributed, r.TxsVisited, r.Truncated, tt.wantAttrib, tt.wantTxs, tt.wantTruncated)
			}
			if r.Attributed+r.Stopped+r.Unspent > r.Total {
				t.Errorf("more taint out (%d+%d+%d) than in (%d)", r.Attributed, r.Stopped, r.Unspent, r.Total)
			}
		})
	}
}

func TestBadInput(t *testing.T) {
	g := &memGraph{}
	s := g.tx(nil, 100)[0]
	g.tx([]uint32{s}, 50)
	// A corrupt graph: the output claims to be spent by tx 0, its own creator.
	bad := &memGraph{}
	bs := bad.tx(nil, 100)[0]
	bad.outs[bs].spender = 1
	tests := []struct {
		name  string
		g     Graph
		start []Start
		opts  Options
		want  error
	}{
		{"no start", g, nil, Options{}, ErrBadOptions},
		{"negative depth", g, []Start{{s}}, Options{MaxDepth: -1}, ErrBadOptions},
		{"huge depth", g, []Start{{s}}, Options{MaxDepth: 1 << 30}, ErrBadOptions},
		{"negative min", g, []Start{{s}}, Options{MinValue: -1}, ErrBadOptions},
		{"bad policy", g, []Start{{s}}, Options{Policy: 9}, ErrBadOptions},
		{"loop", bad, []Start{{bs}}, Options{}, ErrGraph},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := Trace(context.Background(), tt.g, tt.start, tt.opts); !errors.Is(err, tt.want) {
				t.Errorf("err %v, want %v", err, tt.want)
			}
		})
	}
}

func TestClusterLabels(t *testing.T) {
	g := &memGraph{}
	s := g.tx(nil, 100)[0]
	labelled := g.tx(nil, 1)[0]
	out := g.tx([]uint32{s}, 90)[0]
	// out's address shares a cluster (root: out's address) with a labelled one.
	g.roots = map[uint32]uint32{g.outs[labelled].addr: g.outs[out].addr - 0}
	g.roots[g.outs[out].addr] = g.outs[out].addr
	g.label(labelled, "ex", "exchange")
	lab, err := ClusterLabels(g, g.labels)
	if err != nil {
		t.Fatal(err)
	}
	r, err := Trace(context.Background(), g, []Start{{s}}, Options{Labels: lab})
	if err != nil {
		t.Fatal(err)
	}
	if got := entityValues(r); !reflect.DeepEqual(got, map[string]int64{"ex": 90}) {
		t.Errorf("got %v", got)
	}
}

func TestExposure(t *testing.T) {
	g := &memGraph{}
	funding := g.tx(nil, 500)[0]
	g.label(funding, "ex1", "exchange")
	mine := g.tx([]uint32{funding}, 400, 99)[0]
	pay := g.tx([]uint32{mine}, 100, 299)
	g.label(pay[0], "mix", "mixer")
	onward := g.tx([]uint32{pay[1]}, 298)[0]
	g.label(onward, "m", "market")
	x, err := ExposureOf(context.Background(), g, []Start{{mine}}, Options{Policy: Haircut})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(x.Forward.Direct, map[string]int64{"mixer": 100}) ||
		!reflect.DeepEqual(x.Forward.Indirect, map[string]int64{"market": 298}) ||
		!reflect.DeepEqual(x.Backward.Direct, map[string]int64{"exchange": 400}) {
		t.Errorf("exposure %+v", x)
	}
}

// TestJSON pins the field names the web app and API clients read.
func TestJSON(t *testing.T) {
	g, s := peelChain()
	r, err := Trace(context.Background(), g, []Start{{s}}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"direction", "policy", "start", "total", "attributed", "unspent", "stopped", "txs_visited", "truncated", "entities", "graph"} {
		if _, ok := m[k]; !ok {
			t.Errorf("JSON lacks %q", k)
		}
	}
	wantEdges := []DrawEdge{
		{"tx:t0", "tx:t1", "t0:0", 100},
		{"tx:t1", "entity:exA", "t1:0", 10},
		{"tx:t1", "tx:t2", "t1:1", 89},
		{"tx:t2", "entity:exB", "t2:0", 20},
		{"tx:t2", "tx:t3", "t2:1", 68},
		{"tx:t3", "entity:exA", "t3:0", 67},
	}
	if !reflect.DeepEqual(r.Graph.Edges, wantEdges) {
		t.Errorf("edges %+v", r.Graph.Edges)
	}
	again, _ := Trace(context.Background(), g, []Start{{s}}, Options{})
	b2, _ := json.Marshal(again)
	if string(b) != string(b2) {
		t.Error("JSON differs between two runs")
	}
}

func TestParseSpec(t *testing.T) {
	txid := "9a0c000000000000000000000000000000000000000000000000000000000011"
	tests := []struct {
		in      string
		want    Spec
		wantErr bool
	}{
		{"1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2", Spec{Kind: SpecAddress, Address: "1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2"}, false},
		{txid, Spec{Kind: SpecTx, TxID: txid}, false},
		{txid + ":3", Spec{Kind: SpecOutput, TxID: txid, Vout: 3}, false},
		{txid + ":", Spec{}, true},
		{txid + ":03", Spec{}, true},
		{txid + ":-1", Spec{}, true},
		{txid + ":99999999999", Spec{}, true},
		{"abc:1", Spec{}, true},
		{"", Spec{}, true},
		{"a b", Spec{}, true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseSpec(tt.in)
			if (err != nil) != tt.wantErr || got != tt.want {
				t.Fatalf("ParseSpec(%q) = %+v, %v", tt.in, got, err)
			}
			if err == nil && got.String() != tt.in {
				t.Errorf("String() = %q", got.String())
			}
		})
	}
}

func FuzzParseSpec(f *testing.F) {
	f.Add("9a0c000000000000000000000000000000000000000000000000000000000011:1")
	f.Add("bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq")
	f.Fuzz(func(t *testing.T, s string) {
		sp, err := ParseSpec(s)
		if err != nil {
			if !errors.Is(err, ErrBadOptions) {
				t.Fatalf("error %v is not ErrBadOptions", err)
			}
			return
		}
		again, err := ParseSpec(sp.String())
		if err != nil || again != sp {
			t.Fatalf("round trip of %q: %+v then %+v, %v", s, sp, again, err)
		}
	})
}
