package trace

import "math/bits"

// span is a half-open interval [lo, hi) of satoshis within one output.
type span struct{ lo, hi int64 }

func spansLen(s []span) int64 {
	var n int64
	for _, x := range s {
		n += x.hi - x.lo
	}
	return n
}

// flow is a transaction being passed taint: the values of its
// source side (inputs forward, outputs backward) in order with each one's
// taint, and the values of the sink side.
type flow struct {
	vals  []int64  // values on the side taint comes from
	taint []int64  // taint of each, 0 if none
	spans [][]span // FIFO/LIFO intervals of each
	sink  []int64  // values on the side taint goes to
}

// spread computes the taint of each sink. inputsFirst says the source
// side is the inputs (a forward trace); LIFO reverses the inputs' order,
// whichever side they are on. totalIn is the sum of input values.
func spread(p Policy, f *flow, inputsFirst bool, totalIn int64, outTaint []int64, outSpans [][]span) {
	for j := range outTaint {
		outTaint[j], outSpans[j] = 0, outSpans[j][:0]
	}
	switch p {
	case Poison:
		for j, v := range f.sink {
			outTaint[j] = v
			outSpans[j] = append(outSpans[j], span{0, v})
		}
	case Haircut:
		var t int64
		for _, x := range f.taint {
			t += x
		}
		if totalIn <= 0 {
			return
		}
		for j, v := range f.sink {
			outTaint[j] = min(mulDiv(t, v, totalIn), v)
		}
	case FIFO, LIFO:
		// Lay both sides end to end from 0; the inputs' order is reversed
		// for LIFO. src and dst are the two sides' start offsets.
		srcOff := offsets(f.vals, p == LIFO && inputsFirst)
		dstOff := offsets(f.sink, p == LIFO && !inputsFirst)
		for i, ss := range f.spans {
			for _, s := range ss {
				lo, hi := srcOff[i]+s.lo, srcOff[i]+s.hi
				// Sinks are laid in offset order only when not reversed;
				// scan all, they are few per transaction.
				for j, v := range f.sink {
					a, b := max(lo, dstOff[j]), min(hi, dstOff[j]+v)
					if a < b {
						outSpans[j] = addSpan(outSpans[j], span{a - dstOff[j], b - dstOff[j]})
					}
				}
			}
		}
		for j := range outSpans {
			outTaint[j] = spansLen(outSpans[j])
		}
	}
}

// offsets returns where each value starts when laid end to end, in
// order or reversed.
func offsets(vals []int64, reversed bool) []int64 {
	off := make([]int64, len(vals))
	var pos int64
	for k := range vals {
		i := k
		if reversed {
			i = len(vals) - 1 - k
		}
		off[i] = pos
		pos += vals[i]
	}
	return off
}

// addSpan inserts s into the sorted, disjoint list ss, merging neighbours.
func addSpan(ss []span, s span) []span {
	i := 0
	for i < len(ss) && ss[i].hi < s.lo {
		i++
	}
	j := i
	for j < len(ss) && ss[j].lo <= s.hi {
		s.lo, s.hi = min(s.lo, ss[j].lo), max(s.hi, ss[j].hi)
		j++
	}
	if i == j {
		ss = append(ss, span{})
		copy(ss[i+1:], ss[i:])
		ss[i] = s
		return ss
	}
	ss[i] = s
	return append(ss[:i+1], ss[j:]...)
}

// mulDiv returns a*b/c rounded down for non-negative a, b and positive c,
// in 128 bits: satoshi products overflow int64.
func mulDiv(a, b, c int64) int64 {
	if a <= 0 || b <= 0 || c <= 0 {
		return 0
	}
	hi, lo := bits.Mul64(uint64(a), uint64(b))
	if hi >= uint64(c) {
		return 1<<63 - 1
	}
	q, _ := bits.Div64(hi, lo, uint64(c))
	if q > 1<<63-1 {
		return 1<<63 - 1
	}
	return int64(q)
}
