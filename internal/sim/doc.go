// Package sim generates a synthetic Bitcoin economy whose ground truth is
// known: who owns every address, why every transaction was made, and where
// every ransom went. It exists to measure how far Entente's clustering
// heuristics and tracing policies can be trusted, and to give the demo a
// chain.
//
// It is not a node and not a consensus implementation: proof of work,
// signatures and coinbase values are not valid (the first blocks' coinbases
// found the economy), but every block decodes with btcd's wire package,
// chains by previous-block hash and has correct merkle roots and BIP 141
// witness commitments, and every input spends an existing unspent output
// with a positive fee.
//
// # Output
//
// [Generate] writes into one directory:
//
//	blocks/blk00000.dat ...  Bitcoin Core framing: 4-byte network magic (f9beb4d9
//	                         on mainnet), block length as a little-endian uint32,
//	                         the block; a new file past Config.MaxFileSize.
//	truth/entities.csv       entity_id,kind,name
//	truth/addresses.csv      address,entity_id,kind,script_type
//	truth/txs.csv            txid,height,behaviour,entity_id
//	truth/ransom_payments.csv incident_id,operator_id,victim_id,txid,vout,value
//	truth/ransom_cashouts.csv incident_id,operator_id,exchange_id,txid,vout,value,via_mixer
//	tags/*.yaml              GraphSense TagPacks for exchanges, the market, the
//	                         mixer, CoinJoin coordinators and mining pools
//
// The CSV files have a header line, no quoting (no field holds a comma) and
// are written in chain order, so they stream. Txids are in the usual
// reversed hex; values are in satoshis. An address appears once, when it is
// made; every output's address is in addresses.csv. Kinds are individual,
// exchange, market, mixer, mining-pool, coinjoin-coordinator, ransomware
// and founder (the genesis output's owner). Script types are p2pkh,
// p2sh-p2wpkh, p2sh-multisig, p2wpkh and p2tr. The entity_id of a
// transaction is the one who made it (the payer, the service, the
// coordinator of a CoinJoin, the pool of a coinbase). Behaviours:
//
//	payment           a person pays a person, a deposit address or the market
//	consolidation     an owner merges its own outputs (also wallet upgrades)
//	batch-withdrawal  an exchange or the market pays many customers
//	deposit-sweep     a service sweeps deposit addresses into its hot wallet
//	cold-storage      an exchange moves funds between hot and cold wallets
//	coinjoin          a Wasabi-like round or a Whirlpool 5-in-5-out mix
//	coinjoin-remix    a Whirlpool 5-in-5-out mix with 1 to 3 remixers: post-mix
//	                  outputs of earlier mixes, paying no fee ("privacy" only)
//	whirlpool-tx0     a Whirlpool premix split paying the coordinator's fee
//	peel-hop          a step of a ransomware operator's peel chain
//	ransom-payment    a victim pays a ransom
//	cash-out          an operator pays an exchange deposit address whole
//	mining            a coinbase, or a pool paying its miners
//	mixer             a deposit into, or a payout from, the custodial mixer
//
// Worked example, one line of each file:
//
//	truth/addresses.csv: 1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2,1203,individual,p2pkh
//	truth/txs.csv:       3b1f...e0,57,peel-hop,12
//	truth/ransom_cashouts.csv: 4,12,7,9a0c...11,1,24000000,false
//
// The last says that incident 4 of operator entity 12 put 0.24 BTC into
// output 1 of transaction 9a0c...11, a deposit address of exchange entity 7.
// A ransom's value reaches its exchanges by peel hops (their peel outputs
// are cash-outs), a final whole cash-out, and the mixer's payouts to fresh
// operator addresses, each cashed out with via_mixer true. Fees make the
// cash-outs sum to a little less than the ransom.
//
// # The economy
//
// Individuals hold one to three wallets made by programs with the
// fingerprints of real ones: change type matching the payment or the
// wallet, change last or at a random position, change back to the input's
// address, round amounts, fee rates, nLockTime at the tip or 0, BIP 125
// signalling, version 1 or 2. Which programs people use, and so which
// address types appear, moves over the run from P2PKH to nested and native
// SegWit to Taproot: the run's progress stands for the years since 2012, as
// people upgrade wallets and sweep the old one into the new.
//
// Exchanges take deposits at fresh addresses, sweep them into a reused hot
// address, pay withdrawals in batches and keep the rest in 2-of-3 P2SH
// cold storage. The darknet market and the custodial mixer work the same
// way; the market pays its vendors later, the mixer pays back less its fee
// in parts after a delay. CoinJoins come as Wasabi-like rounds (0.1 BTC
// equal outputs plus change, coordinator fee) and Whirlpool TX0s and
// 5-in-5-out mixes of 0.05 BTC. Pools pay miners from coinbases after 100
// blocks.
//
// In a ransom incident the victim buys coins at an exchange (a withdrawal
// to a fresh address of a new wallet) and pays the ransom to fresh
// addresses of the operator, in one to three tranches. The operator
// consolidates the tranches, then runs a peel chain of two to six hops:
// each hop pays 5-25% to a deposit address at one of the two to four
// exchanges it uses, or once, 20-40% to the mixer; the remainder goes to a
// fresh address. The last remainder is cashed out whole, and so is each of
// the mixer's payouts when it arrives.
//
// # Profiles
//
// Config.Profile chooses the economy; each is a documented set of the
// generator's parameters in profile.go (event weights, wallet programs and
// their script types over the run, address reuse, CoinJoin and mixer use,
// ransom incidents), with its sources:
//
//	realistic   today's economy with its history, as above; the default.
//	            Its bytes for a seed are pinned (testdata/golden).
//	early       2011-2013: P2PKH only (services and operators too), heavy
//	            address reuse (about 0.58 of outputs go to a used address,
//	            0.24 in realistic), version 1 transactions with no BIP 125
//	            signal and no locktime, no CoinJoin coordinators; more
//	            market trade, few incidents.
//	privacy     Taproot wallets with fresh receive and change addresses,
//	            Wasabi-like rounds to P2TR, frequent Whirlpool mixes whose
//	            post-mix outputs remix, a busy custodial mixer.
//	ransomware  realistic, with about fifteen times the ransom incidents
//	            and up to 128 under way at once.
//
// A Whirlpool remix follows Samourai's coordinator: up to three of a mix's
// five inputs are post-mix outputs of earlier mixes, each exactly the pool
// denomination and paying nothing; the other inputs are premix outputs
// whose extra pays the whole miner fee. A post-mix output stays in the pool
// (in no wallet) for one to six remixes with chance 0.7, and otherwise goes
// to its owner's wallet to be spent; truth/txs.csv calls a mix with a
// remixer coinjoin-remix, its actor the coordinator, and the addresses of
// every output are their owners' in addresses.csv as always.
//
// # Determinism and memory
//
// All randomness comes from one PCG seeded with Config.Seed; no map is
// iterated, so the same Config gives the same bytes (with the same Go
// release: math/rand/v2 does not promise its derived distributions stay
// the same). The number of actors
// is fixed at the start and every wallet keeps at most a fixed number of
// UTXOs (past it the smallest are forgotten and stay unspent forever), so
// memory does not grow with Config.Txs; blocks and truth are written as
// they are made.
//
// Everything here is written by hand on top of btcd's wire, chainhash and
// btcutil, because no maintained library generates labelled Bitcoin
// economies.
package sim
