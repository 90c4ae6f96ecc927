package cli

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/pem"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/opencontainers/go-digest"
)

// testRegistry is a minimal in-memory OCI distribution registry: enough of
// the API for oras-go to push (monolithic uploads), tag, resolve and fetch.
type testRegistry struct {
	mu        sync.Mutex
	blobs     map[digest.Digest][]byte
	manifests map[digest.Digest]manifestEntry
	tags      map[string]digest.Digest // "<repo>:<tag>"
	uploads   map[string]bool
	// user and password, when set, are required (HTTP basic
	// authentication), as by a registry with htpasswd.
	user, password string
}

type manifestEntry struct {
	mediaType string
	data      []byte
}

// startTestRegistry serves a testRegistry on loopback and returns it with
// its host:port.
func startTestRegistry(t *testing.T) (*testRegistry, string) {
	t.Helper()
	r := newTestRegistry()
	srv := httptest.NewServer(r)
	t.Cleanup(srv.Close)
	return r, strings.TrimPrefix(srv.URL, "http://")
}

func newTestRegistry() *testRegistry {
	return &testRegistry{
		blobs:     map[digest.Digest][]byte{},
		manifests: map[digest.Digest]manifestEntry{},
		tags:      map[string]digest.Digest{},
		uploads:   map[string]bool{},
	}
}

// startTLSTestRegistry serves a testRegistry over HTTPS with a certificate
// of its own CA, and returns it with its host:port and the CA's PEM file.
func startTLSTestRegistry(t *testing.T) (*testRegistry, string, string) {
	t.Helper()
	r := newTestRegistry()
	srv := httptest.NewUnstartedServer(r)
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // the handshakes tests make fail
	srv.StartTLS()
	t.Cleanup(srv.Close)
	ca := filepath.Join(t.TempDir(), "ca.pem")
	pemBytes := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})
	if err := os.WriteFile(ca, pemBytes, 0o644); err != nil {
		t.Fatal(err)
	}
	return r, strings.TrimPrefix(srv.URL, "https://"), ca
}

// unauthorized is what a registry (distribution) answers without valid
// credentials: details with the scopes asked for, which spinoci must not
// print.
const unauthorized = `{"errors":[{"code":"UNAUTHORIZED","message":"authentication required",` +
	`"detail":[{"Type":"repository","Class":"","Name":"x","Action":"pull"}]}]}`

func (r *testRegistry) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.user != "" {
		if u, p, ok := req.BasicAuth(); !ok || u != r.user || p != r.password {
			w.Header().Set("WWW-Authenticate", `Basic realm="test"`)
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusUnauthorized)
			_, _ = io.WriteString(w, unauthorized)
			return
		}
	}
	p := req.URL.Path
	if p == "/v2/" {
		return
	}
	switch {
	case strings.Contains(p, "/blobs/uploads/"):
		repo, id, _ := strings.Cut(strings.TrimPrefix(p, "/v2/"), "/blobs/uploads/")
		r.upload(w, req, repo, id)
	case strings.Contains(p, "/blobs/"):
		_, ref, _ := strings.Cut(p, "/blobs/")
		b, ok := r.blobs[digest.Digest(ref)]
		if !ok {
			http.Error(w, `{"errors":[{"code":"BLOB_UNKNOWN"}]}`, http.StatusNotFound)
			return
		}
		r.send(w, req, "application/octet-stream", digest.Digest(ref), b)
	case strings.Contains(p, "/manifests/"):
		repo, ref, _ := strings.Cut(strings.TrimPrefix(p, "/v2/"), "/manifests/")
		r.manifest(w, req, repo, ref)
	default:
		http.NotFound(w, req)
	}
}

func (r *testRegistry) upload(w http.ResponseWriter, req *http.Request, repo, id string) {
	switch req.Method {
	case http.MethodPost:
		b := make([]byte, 8)
		_, _ = rand.Read(b)
		id := hex.EncodeToString(b)
		r.uploads[id] = true
		w.Header().Set("Location", "/v2/"+repo+"/blobs/uploads/"+id)
		w.WriteHeader(http.StatusAccepted)
	case http.MethodPut:
		if !r.uploads[id] {
			http.NotFound(w, req)
			return
		}
		data, _ := io.ReadAll(req.Body)
		want := digest.Digest(req.URL.Query().Get("digest"))
		if digest.FromBytes(data) != want {
			http.Error(w, `{"errors":[{"code":"DIGEST_INVALID"}]}`, http.StatusBadRequest)
			return
		}
		delete(r.uploads, id)
		r.blobs[want] = data
		w.Header().Set("Location", "/v2/"+repo+"/blobs/"+want.String())
		w.WriteHeader(http.StatusCreated)
	default:
		http.Error(w, "unsupported", http.StatusMethodNotAllowed)
	}
}

func (r *testRegistry) manifest(w http.ResponseWriter, req *http.Request, repo, ref string) {
	if req.Method == http.MethodPut {
		data, _ := io.ReadAll(req.Body)
		d := digest.FromBytes(data)
		r.manifests[d] = manifestEntry{mediaType: req.Header.Get("Content-Type"), data: data}
		if !strings.HasPrefix(ref, "sha256:") {
			r.tags[repo+":"+ref] = d
		}
		w.Header().Set("Docker-Content-Digest", d.String())
		w.WriteHeader(http.StatusCreated)
		return
	}
	d := digest.Digest(ref)
	if !strings.HasPrefix(ref, "sha256:") {
		d = r.tags[repo+":"+ref]
	}
	m, ok := r.manifests[d]
	if !ok {
		http.Error(w, `{"errors":[{"code":"MANIFEST_UNKNOWN"}]}`, http.StatusNotFound)
		return
	}
	r.send(w, req, m.mediaType, d, m.data)
}

func (r *testRegistry) send(w http.ResponseWriter, req *http.Request, mediaType string, d digest.Digest, data []byte) {
	w.Header().Set("Content-Type", mediaType)
	w.Header().Set("Docker-Content-Digest", d.String())
	w.Header().Set("Content-Length", strconv.Itoa(len(data)))
	if req.Method != http.MethodHead {
		_, _ = w.Write(data)
	}
}

// tagged returns the manifest a tag points at.
func (r *testRegistry) tagged(t *testing.T, repoTag string) (digest.Digest, []byte) {
	t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	d, ok := r.tags[repoTag]
	if !ok {
		t.Fatalf("registry has no %s (tags %v)", repoTag, r.tags)
	}
	return d, r.manifests[d].data
}

func (r *testRegistry) blob(t *testing.T, d digest.Digest) []byte {
	t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	b, ok := r.blobs[d]
	if !ok {
		t.Fatalf("registry has no blob %s", d)
	}
	return b
}

func (r *testRegistry) String() string {
	return fmt.Sprintf("%d blobs, %d manifests", len(r.blobs), len(r.manifests))
}

// requireAuth makes the registry demand user and password.
func (r *testRegistry) requireAuth(user, password string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.user, r.password = user, password
}
