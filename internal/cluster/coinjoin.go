package cluster

// CoinJoin is the kind of equal-output mix a transaction looks like.
type CoinJoin uint8

// The kinds [DetectCoinJoin] tells apart.
const (
	NotCoinJoin CoinJoin = iota
	Whirlpool            // 5 inputs, 5 outputs of one value
	Wasabi               // many (>= 10) equal outputs
	JoinMarket           // k >= 2 equal outputs, at most k change outputs, >= k input addresses
	Generic              // >= 3 equal outputs, >= 2 input addresses
)

func (k CoinJoin) String() string {
	switch k {
	case NotCoinJoin:
		return "none"
	case Whirlpool:
		return "whirlpool"
	case Wasabi:
		return "wasabi"
	case JoinMarket:
		return "joinmarket"
	case Generic:
		return "generic"
	}
	return "unknown"
}

// maxScan bounds the quadratic work on hostile transactions with huge
// output counts: past it only the first outputs are compared.
const maxScan = 4096

// DetectCoinJoin says whether a transaction with these input address ids
// and output values is an equal-output CoinJoin. Skipping a transaction
// that is not one loses only a merge; merging one that is would join
// strangers for good, so the rules lean towards skipping.
func DetectCoinJoin(inputs []uint32, outputs []int64) CoinJoin {
	distinct := countDistinct(inputs)
	if distinct < 2 || len(outputs) < 2 {
		return NotCoinJoin
	}
	_, equal := mostCommonValue(outputs)
	switch {
	case len(inputs) == 5 && len(outputs) == 5 && equal == 5:
		return Whirlpool
	case equal >= 10:
		return Wasabi
	case equal >= 3:
		return Generic
	case equal >= 2 && len(outputs) <= 2*equal && distinct >= equal:
		return JoinMarket
	}
	return NotCoinJoin
}

// mostCommonValue returns the most frequent positive value and its count.
// Transactions have few outputs, so a quadratic scan beats a map.
func mostCommonValue(vs []int64) (value int64, count int) {
	if len(vs) > maxScan {
		vs = vs[:maxScan]
	}
	for i, v := range vs {
		if v <= 0 {
			continue
		}
		n := 0
		for _, w := range vs[i:] {
			if w == v {
				n++
			}
		}
		if n > count {
			value, count = v, n
		}
	}
	return value, count
}

func countDistinct(ids []uint32) int {
	if len(ids) > maxScan {
		ids = ids[:maxScan]
	}
	n := 0
	for i, a := range ids {
		dup := false
		for _, b := range ids[:i] {
			if a == b {
				dup = true
				break
			}
		}
		if !dup {
			n++
		}
	}
	return n
}
