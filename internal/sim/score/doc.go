// Package score measures how well the forensics engine matches the ground
// truth of a synthetic economy made by internal/sim: for address
// clustering, pairwise precision, recall and F1 over address pairs, false
// merges and collapsed clusters, one row per heuristic combination the
// engine offers; for tracing, where each policy of internal/trace says
// the ransom payments went, one row per policy.
//
// It is a measuring tool, not part of the engine: it reads a chain index
// ([chainindex.Index]) and the truth/ directory of [sim.Generate] and
// changes neither.
//
// # Pairwise scores
//
// Every truth address present in the index is counted in a contingency
// table of (cluster, entity) cells. With n(c,e) the addresses of entity e in
// cluster c:
//
//	true positives  TP = sum over cells C(n(c,e), 2)
//	predicted pairs  P = sum over clusters C(n(c), 2)
//	true pairs       T = sum over entities C(n(e), 2)
//	precision = TP/P, recall = TP/T, F1 = 2PR/(P+R)
//
// A zero denominator gives 1: no merge made is no merge wrong, no pair to
// find is none missed. The table holds one counter per non-empty cell, so
// memory grows with the number of clusters, not of pairs; millions of
// addresses fit in a few hundred megabytes.
//
// Plain recall is bounded by wallet behaviour: an address never spent
// together with another of its owner's can not be found by the multi-input
// heuristic. The co-spending recall restricts T and TP to the entities that
// spent outputs of two or more of their addresses in one transaction that
// the truth does not call a CoinJoin. The reachable recall is sharper: its
// true pairs are those a perfect multi-input heuristic would link, the
// addresses of one entity connected through such transactions (a
// union-find of 8 bytes an address).
//
// # Change heuristics
//
// Beside the index's own clusters (multi-input), each change heuristic set
// of [Config.Change] gets a row: internal/cluster's [cluster.Overlay],
// computed in memory over the index by one pass over the chain, seeded
// with the index's clusters, with the same size guard; its refusals are
// added to the row's. A set with the sweep heuristic ([cluster.BySweep],
// deposit addresses swept into a custodial service's hot address) is not
// seeded: its pass rebuilds multi-input clustering in chain order, so each
// sweep is judged on the clusters of its time. A last row, [OracleRow], is
// the ceiling of every change heuristic: in each transaction a heuristic
// may judge, every output the truth gives the payer is merged. It is a
// bound, not a method: what no change heuristic can link (single-output
// transactions such as deposit sweeps, addresses never spent) stays out of
// it too; the sweep rows can pass it.
//
// # False merges and collapse
//
// A false merge is a cluster holding addresses of more than one entity; a
// collapsed cluster spans two or more entities that each have at least
// [CollapseMin] addresses in it: the signature of two services fused by one
// bad link. Merges the index's cluster guard refused are counted beside
// them, since each is a collapse the guard prevented.
//
// # Tracing
//
// Every exchange address of the truth found in the index is labelled with
// its exchange's entity id, as the exchanges' own tags would label it,
// and [trace.ClusterLabels] widens each label to the address's cluster.
// Each payment of truth/ransom_payments.csv is traced forward from its
// paid output with every policy to [Config.TraceDepth] transactions,
// stopping at labelled addresses ([TraceRansoms]). Of the value paid, the
// part arriving at an exchange where truth/ransom_cashouts.csv says the
// incident was cashed out is right, at any other exchange wrong, and the
// rest unattributed: it went to the mixer's pool, to fees, stayed unspent
// or was still moving at the depth limit. Shares are of the value paid,
// over all payments and per incident (an incident may have several
// payments). Poison taints every output in full, so its right and wrong
// shares are upper bounds that can pass 1.
package score
