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
