package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/entente/entente/internal/stix"
)

const (
	durBundles    = 20
	durBundleSize = 1000 // the TAXII server stores up to 1,000 objects per transaction
	durPosters    = 4
)

// serverProc is "entente serve" running as a separate process.
type serverProc struct {
	cmd    *exec.Cmd
	addr   string
	out    *syncBuffer
	exited atomic.Bool
	done   chan struct{}
}

func startServer(t *testing.T, bin, dir string) *serverProc {
	t.Helper()
	p := &serverProc{out: &syncBuffer{}, done: make(chan struct{})}
	p.cmd = exec.Command(bin, "serve", "--data", dir, "--listen", "127.0.0.1:0", "--log-level", "warn")
	p.cmd.Stdout, p.cmd.Stderr = p.out, p.out
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		p.cmd.Wait()
		p.exited.Store(true)
		close(p.done)
	}()
	t.Cleanup(func() {
		if !p.exited.Load() {
			p.cmd.Process.Kill()
			<-p.done
		}
	})
	p.addr = waitFor(t, p.out.String, bannerRE, p.exited.Load)[1]
	return p
}

// entente runs the built binary for an admin command and returns stdout.
func entente(t *testing.T, bin string, args ...string) string {
	t.Helper()
	var out, errb bytes.Buffer
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		t.Fatalf("entente %s: %v\n%s", strings.Join(args, " "), err, errb.String())
	}
	return strings.TrimSpace(out.String())
}

// bundle b: durBundleSize indicators with ids and patterns unique to it.
func makeBundle(b int, now time.Time) (body []byte, objs map[string][]byte) {
	ts := stix.FormatTimestamp(now)
	objs = map[string][]byte{}
	var raws []json.RawMessage
	for i := range durBundleSize {
		id := "indicator--" + uuid.NewSHA1(uuid.NameSpaceOID, fmt.Appendf(nil, "durability/%d/%d", b, i)).String()
		raw := fmt.Appendf(nil, `{"type":"indicator","spec_version":"2.1","id":%q,"created":%q,"modified":%q,`+
			`"name":"bundle %d object %d","pattern":"[ipv4-addr:value = '10.%d.%d.%d']","pattern_type":"stix","valid_from":%q}`,
			id, ts, ts, b, i, b, i/256, i%256, ts)
		objs[id] = raw
		raws = append(raws, raw)
	}
	body, _ = json.Marshal(map[string]any{"objects": raws})
	return body, objs
}

// TestDurability posts 20,000 objects from several goroutines to a real
// "entente serve" process, kills it with SIGKILL at a random moment,
// restarts it and checks that every acknowledged object survived intact
// and that no bundle (one transaction) was half stored.
func TestDurability(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and posts 20,000 objects")
	}
	tmp := t.TempDir()
	bin := filepath.Join(tmp, "entente")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	dir := filepath.Join(tmp, "data")
	entente(t, bin, "org", "add", "--data", dir, "nl-nhtcu")
	token := entente(t, bin, "user", "add", "--data", dir, "--org", "nl-nhtcu", "--role", "analyst", "alice")
	coll := entente(t, bin, "collection", "add", "--data", dir, "--title", "load", "--write", "nl-nhtcu")

	seed := time.Now().UnixNano()
	rng := rand.New(rand.NewPCG(uint64(seed), 0))
	t.Logf("seed %d", seed)

	srv := startServer(t, bin, dir)
	client := nodeClient(t, dir)
	objectsURL := func() string { return "https://" + srv.addr + "/api1/collections/" + coll + "/objects/" }

	now := time.Now().UTC()
	bodies := make([][]byte, durBundles)
	want := make([]map[string][]byte, durBundles)
	for b := range durBundles {
		bodies[b], want[b] = makeBundle(b, now)
	}

	// Kill after a random number of acknowledged bundles, plus a random
	// delay, so that the kill lands while other bundles are in flight.
	killAfter := int32(2 + rng.IntN(durBundles-6))
	killDelay := time.Duration(rng.IntN(30)) * time.Millisecond
	var acked sync.Map // bundle index -> true
	var nAcked atomic.Int32
	var killOnce sync.Once
	kill := func() {
		time.Sleep(killDelay)
		srv.cmd.Process.Kill()
	}
	next := atomic.Int32{}
	postURL := objectsURL()
	var wg sync.WaitGroup
	for range durPosters {
		wg.Go(func() {
			for {
				b := int(next.Add(1) - 1)
				if b >= durBundles {
					return
				}
				req, _ := http.NewRequest("POST", postURL, bytes.NewReader(bodies[b]))
				req.Header.Set("Content-Type", "application/taxii+json;version=2.1")
				req.Header.Set("Accept", "application/taxii+json;version=2.1")
				req.SetBasicAuth("alice", token)
				resp, err := client.Do(req)
				if err != nil {
					continue // the server died under this request
				}
				var st struct {
					Status       string `json:"status"`
					SuccessCount int    `json:"success_count"`
				}
				err = json.NewDecoder(resp.Body).Decode(&st)
				resp.Body.Close()
				if err == nil && resp.StatusCode == http.StatusAccepted && st.SuccessCount == durBundleSize {
					acked.Store(b, true)
					if nAcked.Add(1) == killAfter {
						killOnce.Do(func() { go kill() })
					}
				} else if err == nil && resp.StatusCode != http.StatusAccepted {
					t.Errorf("bundle %d: status %d", b, resp.StatusCode)
				}
			}
		})
	}
	// Admin commands work on the same SQLite file while the node is
	// under write load.
	second := entente(t, bin, "user", "add", "--data", dir, "--org", "nl-nhtcu", "--role", "reader", "bob")
	wg.Wait()
	killOnce.Do(kill) // every bundle was acknowledged before the kill
	<-srv.done
	t.Logf("killed after %d of %d bundles acknowledged", nAcked.Load(), durBundles)

	srv = startServer(t, bin, dir)
	client = nodeClient(t, dir)
	got := fetchAll(t, client, objectsURL(), token)

	stored := 0
	for b := range durBundles {
		present := 0
		for id, raw := range want[b] {
			g, ok := got[id]
			if !ok {
				continue
			}
			present++
			if !jsonEqual(g, raw) {
				t.Fatalf("bundle %d: %s came back changed:\n got %s\nwant %s", b, id, g, raw)
			}
		}
		_, ack := acked.Load(b)
		switch {
		case ack && present != durBundleSize:
			t.Errorf("bundle %d was acknowledged but only %d of %d objects survived", b, present, durBundleSize)
		case present != 0 && present != durBundleSize:
			t.Errorf("bundle %d is half stored: %d of %d objects", b, present, durBundleSize)
		}
		stored += present
	}
	if stored != len(got) {
		t.Errorf("store holds %d objects, %d of them from the bundles", len(got), stored)
	}
	if code, body := taxiiGet(t, client, "https://"+srv.addr+"/taxii2/", "bob", second); code != 200 {
		t.Errorf("user added under load cannot log in: %d %s", code, body)
	}
	if code, _ := taxiiGet(t, client, "https://"+srv.addr+"/healthz", "", ""); code != 200 {
		t.Errorf("healthz after restart: %d", code)
	}
}

// fetchAll pages through a collection's objects.
func fetchAll(t *testing.T, c *http.Client, objectsURL, token string) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	next := ""
	for range 1000 {
		u := objectsURL + "?limit=5000"
		if next != "" {
			u += "&next=" + url.QueryEscape(next)
		}
		req, _ := http.NewRequest("GET", u, nil)
		req.Header.Set("Accept", "application/taxii+json;version=2.1")
		req.SetBasicAuth("alice", token)
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, err := io.ReadAll(bufio.NewReader(resp.Body))
		resp.Body.Close()
		if err != nil || resp.StatusCode != 200 {
			t.Fatalf("GET objects: %d %v %.500s", resp.StatusCode, err, body)
		}
		var env struct {
			More    bool              `json:"more"`
			Next    string            `json:"next"`
			Objects []json.RawMessage `json:"objects"`
		}
		if err := json.Unmarshal(body, &env); err != nil {
			t.Fatalf("objects envelope: %v", err)
		}
		for _, o := range env.Objects {
			obj, err := stix.Parse(o)
			if err != nil {
				t.Fatalf("stored object does not parse: %v", err)
			}
			out[obj.ID] = o
		}
		if !env.More {
			return out
		}
		next = env.Next
	}
	t.Fatal("more than 1000 pages")
	return nil
}

func jsonEqual(a, b []byte) bool {
	var x, y bytes.Buffer
	if json.Compact(&x, a) != nil || json.Compact(&y, b) != nil {
		return false
	}
	return bytes.Equal(x.Bytes(), y.Bytes())
}
