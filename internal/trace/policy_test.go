package trace

import (
	"testing"
)

// bruteSpread moves taint one satoshi at a time, as FIFO and LIFO are
// defined: the k-th satoshi of the inputs (laid in order, or reversed for
// LIFO) is the k-th of the outputs.
func bruteSpread(lifo bool, ins []int64, tainted [][]bool, outs []int64) []int64 {
	var seq []bool
	for k := range ins {
		i := k
		if lifo {
			i = len(ins) - 1 - k
		}
		seq = append(seq, tainted[i]...)
	}
	got := make([]int64, len(outs))
	pos := 0
	for j, v := range outs {
		for range v {
			if pos < len(seq) && seq[pos] {
				got[j]++
			}
			pos++
		}
	}
	return got
}

// FuzzSpread checks FIFO and LIFO interval arithmetic against moving
// satoshis one by one.
func FuzzSpread(f *testing.F) {
	f.Add([]byte{50, 30, 0, 40, 20, 10}, uint8(1), false)
	f.Add([]byte{30, 70, 0, 99}, uint8(1), true)
	f.Fuzz(func(t *testing.T, data []byte, mask uint8, lifo bool) {
		if len(data) < 2 || len(data) > 16 {
			return
		}
		nIn := int(data[0]%4) + 1
		if len(data) < 1+nIn+1 {
			return
		}
		ins := make([]int64, nIn)
		var totalIn int64
		for i := range ins {
			ins[i] = int64(data[1+i]%64) + 1
			totalIn += ins[i]
		}
		var outs []int64
		var totalOut int64
		for _, b := range data[1+nIn:] {
			v := int64(b%64) + 1
			if totalOut+v > totalIn {
				break
			}
			outs = append(outs, v)
			totalOut += v
		}
		tainted := make([][]bool, nIn)
		fl := flow{vals: ins, taint: make([]int64, nIn), spans: make([][]span, nIn), sink: outs}
		for i := range ins {
			tainted[i] = make([]bool, ins[i])
			if mask&(1<<i) != 0 {
				// Taint the middle half, to exercise partial intervals.
				lo, hi := ins[i]/4, ins[i]-ins[i]/4
				for k := lo; k < hi; k++ {
					tainted[i][k] = true
				}
				if lo < hi {
					fl.spans[i] = []span{{lo, hi}}
					fl.taint[i] = hi - lo
				}
			}
		}
		p := FIFO
		if lifo {
			p = LIFO
		}
		got := make([]int64, len(outs))
		gotSpans := make([][]span, len(outs))
		spread(p, &fl, true, totalIn, got, gotSpans)
		want := bruteSpread(lifo, ins, tainted, outs)
		for j := range want {
			if got[j] != want[j] {
				t.Fatalf("%v ins %v outs %v mask %b: output %d got %d, want %d", p, ins, outs, mask, j, got[j], want[j])
			}
		}
	})
}

func TestAddSpan(t *testing.T) {
	tests := []struct {
		in   []span
		add  span
		want []span
	}{
		{nil, span{1, 2}, []span{{1, 2}}},
		{[]span{{0, 1}, {5, 6}}, span{2, 3}, []span{{0, 1}, {2, 3}, {5, 6}}},
		{[]span{{0, 1}, {5, 6}}, span{1, 5}, []span{{0, 6}}},
		{[]span{{2, 3}}, span{0, 1}, []span{{0, 1}, {2, 3}}},
		{[]span{{2, 3}}, span{7, 9}, []span{{2, 3}, {7, 9}}},
		{[]span{{0, 2}, {3, 4}, {6, 8}}, span{1, 7}, []span{{0, 8}}},
	}
	for _, tt := range tests {
		got := addSpan(append([]span(nil), tt.in...), tt.add)
		if len(got) != len(tt.want) {
			t.Fatalf("addSpan(%v, %v) = %v, want %v", tt.in, tt.add, got, tt.want)
		}
		for i := range got {
			if got[i] != tt.want[i] {
				t.Fatalf("addSpan(%v, %v) = %v, want %v", tt.in, tt.add, got, tt.want)
			}
		}
	}
}

func TestMulDiv(t *testing.T) {
	tests := []struct{ a, b, c, want int64 }{
		{50, 40, 80, 25},
		{21e14, 21e14, 21e14, 21e14}, // the product overflows int64
		{0, 5, 7, 0},
		{5, 5, 0, 0},
		{1 << 62, 1 << 62, 1, 1<<63 - 1},
	}
	for _, tt := range tests {
		if got := mulDiv(tt.a, tt.b, tt.c); got != tt.want {
			t.Errorf("mulDiv(%d, %d, %d) = %d, want %d", tt.a, tt.b, tt.c, got, tt.want)
		}
	}
}
