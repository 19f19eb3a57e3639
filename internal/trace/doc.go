// Package trace follows bitcoins through a transaction graph: forward
// (where did the money go) or backward (where did it come from), under a
// taint policy, until it reaches attributed entities such as an exchange,
// and reports what each entity received, when, and along which paths.
//
// It is the domain logic only: it reads the chain through the small
// [Graph] interface its caller implements (internal/chainindex does, on
// its memory-mapped index) and imports no storage and no transport.
// Attribution comes through a [Labeler]; this package holds no tags.
//
// # Policies
//
// A transaction receives taint on one side (its inputs going forward, its
// outputs going backward) and passes it to the other:
//
//   - [Poison]: every output (input, backward) of a tainted transaction is
//     tainted in full. An upper bound; it overstates quickly.
//   - [Haircut]: each output j receives T*v_j/I satoshis, T the taint in,
//     v_j its value and I the sum of input values (going backward, each
//     input i receives T*v_i/I). Rounded down, so the fee's share is lost.
//   - [FIFO]: taint is a set of satoshi intervals. The inputs' values are
//     laid end to end in input order, the outputs' in output order, both
//     from 0; an input's tainted interval [a, b) at offset P lands on
//     whatever outputs cover [P+a, P+b). What falls past the last output
//     is the fee.
//   - [LIFO]: as FIFO with the inputs laid end to end in reverse order
//     (the last input's satoshis leave first, by the first output).
//
// Going backward, FIFO and LIFO use the same alignment read the other way,
// so a backward trace of a forward result returns to its source.
//
// # Limits
//
// [Options] bound the depth in hops (transactions), the smallest tainted
// value followed, the outputs followed per transaction (the largest
// first) and the transactions visited. Transactions are processed in
// chain order (forward) or reverse chain order (backward) from a heap, so
// a transaction is handled once, after every tainted input it will ever
// get: repeated visits cannot loop or double count.
//
// # Entities
//
// A tainted output whose address has a label, or whose address's cluster
// root has one (see [ClusterLabels]), is an arrival at that entity: its
// taint is counted there and not followed further. Start outputs are
// never arrivals, so a trace from an exchange's address still moves.
//
// # De-mixing
//
// A custodial mixer pays customers from its own pool, so the chain holds
// no link from a deposit to its payouts and a trace stops at the mixer.
// With [Options.Demix], a forward trace reaching an address of category
// [MixerCategory] matches the deposit, of value V, with the mixer's
// payouts after it, as investigators do by amount and timing. The Graph
// lists the payouts and deposits (a [MixerLister]); the mixer is every
// cluster holding an address its label names ([EntityLister]), as its
// deposit and hot wallets are seldom one cluster. A set of payouts fits
// when it adds up to V less a fee within [DemixOptions] bounds (0.5% to
// 5%) and was paid within the window (48 hours). Kinds of set, the most
// specific first: an even split of 2 to MaxParts outputs of one value
// (to the satoshi but the division's remainder), then, only with
// Singles, one output or one transaction's payouts. Windows widen from
// an hour, doubling. A set that another deposit into the mixer, made
// in the window before its first payout, fits as well is set aside as
// no more this deposit's than that one's. The
// taint follows a set only if it is the one set left that fits in the
// first window where any does, in the first kind where any does;
// otherwise the trace stops at the mixer as before. The deposit
// then ends "demixed" ([Result.Demixed]) and each payout carries the
// deposit's tainted share of its value. Work is bounded: one scan of the
// window, at most MaxCandidates payouts, no subset sums.
//
// Every attempt is reported ([Result.Demix]) with its outcome, candidate
// count, fee and delays; the payout hops are marked in [Path.Inferred],
// the value that crossed one in [EntityResult.Inferred], and the drawing
// puts a "demix" node between deposit and payouts.
//
// # Output
//
// [Result] marshals to JSON with stable field names and sorted lists:
//
//	{"direction":"forward","policy":"fifo","start":[...],"total":100000,
//	 "attributed":90000,"unspent":0,"stopped":10000,"txs_visited":12,
//	 "truncated":false,
//	 "entities":[{"entity":"exchange-7","category":"exchange",
//	   "value":90000,"direct":0,"arrivals":2,"first_height":120,
//	   "last_height":131,"first_time":1325376000,"last_time":1325382000,
//	   "paths":[{"hops":[{"txid":"3b1f...","vout":0,"value":100000,
//	     "address":"bc1q..."},{"txid":"9a0c...","vout":1,"value":60000,
//	     "address":"1Bv..."}]}],"paths_truncated":false}],
//	 "graph":{"nodes":[{"id":"tx:9a0c...","kind":"tx","height":120}],
//	          "edges":[{"from":"tx:...","to":"entity:exchange-7",
//	                    "output":"9a0c...:1","value":90000}]}}
//
// Values are satoshis, times Unix seconds. Paths run from a start output
// outward in the direction traced; each hop is an output with the taint
// it carried. Graph edges always point the way money moved (creating
// transaction to spending transaction, entity, or an end node), whatever
// the direction traced, so a web app can draw either trace alike.
//
// Written by hand: no maintained Go library traces taint on Bitcoin.
package trace
