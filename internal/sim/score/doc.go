// Package score measures how well the forensics engine's address
// clustering matches the ground truth of a synthetic economy made by
// internal/sim: pairwise precision, recall and F1 over address pairs,
// false merges and collapsed clusters, one row per heuristic combination
// the engine offers.
//
// It is a measuring tool, not part of the engine: it reads a chain index
// ([chainindex.Index]) and the truth/ directory of [sim.Generate] and
// changes neither. Tracing policies are not scored yet: the engine has no
// tracer.
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
// # False merges and collapse
//
// A false merge is a cluster holding addresses of more than one entity; a
// collapsed cluster spans two or more entities that each have at least
// [CollapseMin] addresses in it: the signature of two services fused by one
// bad link. Merges the index's cluster guard refused are counted beside
// them, since each is a collapse the guard prevented.
package score
