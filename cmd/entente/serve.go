package main

import (
	"context"
	"crypto/rand"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/term"

	"github.com/entente/entente/internal/chain"
	"github.com/entente/entente/internal/demo"
	"github.com/entente/entente/internal/node"
)

func serveFlags(fs *flag.FlagSet) func(context.Context, *env, []string) error {
	var (
		data, storeURL = storeFlags(fs)
		listen         = fs.String("listen", "127.0.0.1:8443", "address to serve HTTPS on, HOST:PORT")
		tlsCert        = fs.String("tls-cert", "", "PEM certificate chain to serve instead of one from the node CA (with --tls-key)")
		tlsKey         = fs.String("tls-key", "", "PEM private key of --tls-cert")
		demoFlag       = fs.Bool("demo", false, "seed an empty node with demonstration organizations, users and public intelligence, and print an admin token")
		maxBody        = sizeFlag(node.DefaultMaxBodyBytes)
		logLevel       = fs.String("log-level", "info", "least severe log level: debug, info, warn or error")
		logFormat      = fs.String("log-format", "", "log format: json or text (default text on a terminal, json otherwise)")
		netName        = fs.String("network", "mainnet", "mainnet, testnet, signet, regtest or simnet")
	)
	fs.Var(&maxBody, "max-body", "largest request body accepted, in bytes (or KiB, MiB, GiB)")
	rpc := rpcFlags(fs, false)
	return func(ctx context.Context, e *env, args []string) error {
		if err := exactArgs("serve", args); err != nil {
			return err
		}
		if *data == "" {
			return usagef("serve: no data directory: give --data DIR (the node keeps its key and certificates there even with --store)")
		}
		log, err := newLogger(e.stderr, *logLevel, *logFormat)
		if err != nil {
			return usagef("serve: %v", err)
		}
		chainNet, err := chain.ParseNetwork(*netName)
		if err != nil {
			return usagef("serve: --network: %v", err)
		}
		host, _, err := net.SplitHostPort(*listen)
		if err != nil {
			return usagef("serve: --listen %q: %v", *listen, err)
		}
		n, err := node.Open(ctx, node.Config{
			Dir:          *data,
			StoreURL:     *storeURL,
			Hosts:        certHosts(host),
			TLSCertFile:  *tlsCert,
			TLSKeyFile:   *tlsKey,
			MaxBodyBytes: int64(maxBody),
			ChainNetwork: chainNet,
			Logger:       log,
			Now:          e.now,
		})
		if err != nil {
			return err
		}
		defer n.Close()

		if err := announceUsers(ctx, e, n, *demoFlag, *data); err != nil {
			return err
		}
		ln, err := net.Listen("tcp", *listen)
		if err != nil {
			return err
		}
		addr := ln.Addr().(*net.TCPAddr)
		shown := addr.String()
		if addr.IP.IsUnspecified() {
			shown = net.JoinHostPort("localhost", fmt.Sprint(addr.Port))
		}
		if rpc.url != "" {
			fctx, stop := context.WithCancel(ctx)
			wait, err := followInServe(fctx, rpc, *data, *netName, log)
			if err != nil {
				stop()
				ln.Close()
				return err
			}
			defer func() { stop(); wait() }()
			fmt.Fprintf(e.stderr, "entente: following the node at %s into %s\n", redactURL(rpc.url), filepath.Join(*data, "chain"))
		}
		fmt.Fprintf(e.stderr, "entente: serving TAXII 2.1 at https://%s/taxii2/\n", shown)
		if ca := n.CAFile(); ca != "" {
			fmt.Fprintf(e.stderr, "entente: clients must trust the node CA in %s\n", ca)
			fmt.Fprintf(e.stderr, "entente:   e.g. curl --cacert %s -u USER:TOKEN https://%s/taxii2/\n", ca, shown)
		}
		return n.Serve(ctx, ln)
	}
}

// announceUsers seeds the demo when asked and tells the operator how to
// log in. There is no default password: a fresh node has no users.
func announceUsers(ctx context.Context, e *env, n *node.Node, seed bool, data string) error {
	if seed {
		res, err := demo.Seed(ctx, n.Store(), e.now(), rand.Reader)
		if err != nil {
			return fmt.Errorf("demo: %w", err)
		}
		if !res.Seeded {
			fmt.Fprintln(e.stderr, "entente: --demo: the node already has organizations; nothing seeded")
			fmt.Fprintf(e.stderr, "entente: the demo admin's token was shown on the first start; for a new one run\n"+
				"entente:   entente token add --data %s %s\n", data, demo.Admin)
		} else {
			fmt.Fprintf(e.stderr, "entente: demo data seeded: %d organizations, %d users, %d collections, %d objects (%d data entries left out as invalid)\n",
				res.Orgs, res.Users, res.Collections, res.Objects, res.Skipped)
			fmt.Fprintf(e.stderr, "entente: demo admin credential, shown once: user %s, token %s\n", res.Admin, res.Token)
		}
		cres, err := demo.SeedChain(ctx, data, nil)
		if err != nil {
			return err
		}
		if cres.Seeded {
			fmt.Fprintf(e.stderr, "entente: demo chain: %d synthetic Bitcoin transactions with %d ransom incidents indexed, %d address tags; trace the first ransom with\n"+
				"entente:   entente chain trace --data %s --from %s\n", cres.Txs, cres.Incidents, cres.Tags, data, cres.Payment)
		}
		return nil
	}
	users, err := n.Store().Users(ctx)
	if err != nil {
		return err
	}
	if len(users) == 0 {
		fmt.Fprintf(e.stderr, "entente: this node has no users yet; create an organization and an admin with\n"+
			"entente:   entente org add --data %[1]s ORG\n"+
			"entente:   entente user add --data %[1]s --org ORG --role admin NAME\n", data)
	}
	return nil
}

// certHosts are the names the generated server certificate must cover
// besides localhost and 127.0.0.1: the listen host, or the machine's name
// when listening on every address.
func certHosts(host string) []string {
	if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
		if h, err := os.Hostname(); err == nil && h != "" {
			return []string{h}
		}
		return nil
	}
	return []string{host}
}

func newLogger(w io.Writer, level, format string) (*slog.Logger, error) {
	var lv slog.Level
	if err := lv.UnmarshalText([]byte(level)); err != nil {
		return nil, fmt.Errorf("--log-level %q: want debug, info, warn or error", level)
	}
	opts := &slog.HandlerOptions{Level: lv}
	switch strings.ToLower(format) {
	case "":
		if f, ok := w.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
			return slog.New(slog.NewTextHandler(w, opts)), nil
		}
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	case "text":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	}
	return nil, fmt.Errorf("--log-format %q: want json or text", format)
}
