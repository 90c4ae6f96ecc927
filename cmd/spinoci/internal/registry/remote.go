package registry

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net/http"
	"os"
	"strings"

	"oras.land/oras-go/v2/registry"
	"oras.land/oras-go/v2/registry/remote"
	"oras.land/oras-go/v2/registry/remote/auth"
	"oras.land/oras-go/v2/registry/remote/credentials"
	"oras.land/oras-go/v2/registry/remote/retry"
)

// Docker Hub names, as the Docker CLI resolves them.
const (
	dockerHub     = "docker.io"
	dockerHubHost = "registry-1.docker.io"
)

// Options tunes registry access.
type Options struct {
	// PlainHTTP talks HTTP instead of HTTPS (for local registries).
	PlainHTTP bool
	// Insecure skips the verification of the registry's TLS certificate.
	Insecure bool
	// CAFile is a PEM bundle of certificate authorities trusted in
	// addition to the system's.
	CAFile string
	// UserAgent is sent with every request.
	UserAgent string
}

// ErrUnqualified is returned by ParseReference for a reference without a
// registry host.
var ErrUnqualified = errors.New("not a fully qualified reference")

// IsPath tells whether s is written as a path: ".", "..", "~", or starting
// with "./", "../", "/" or "~/". Such an argument is never a reference.
func IsPath(s string) bool {
	switch s {
	case ".", "..", "~":
		return true
	}
	for _, prefix := range []string{"./", "../", "/", "~/"} {
		if strings.HasPrefix(s, prefix) {
			return true
		}
	}
	return false
}

// ParseReference parses a fully qualified image reference
// ("host[:port]/repo[:tag|@digest]"). The host must be "localhost" or
// contain a dot or a port: a name such as "app" or "me/app" is refused
// (ErrUnqualified) rather than silently taken from Docker Hub.
// "docker.io/app" is docker.io/library/app, as for docker. The tag defaults
// to "latest".
func ParseReference(s string) (registry.Reference, error) {
	if IsPath(s) {
		return registry.Reference{}, fmt.Errorf("%s is a path, not a registry reference", s)
	}
	host, repo, found := strings.Cut(s, "/")
	if !found || !qualifiedHost(host) {
		hub := dockerHub + "/" + s
		if !found {
			hub = dockerHub + "/library/" + s
		}
		return registry.Reference{}, fmt.Errorf("%s is %w: give the registry host, e.g. %s or localhost:5000/%s", s, ErrUnqualified, hub, s)
	}
	name := s
	if host == dockerHub && !strings.Contains(repo, "/") {
		name = dockerHub + "/library/" + repo
	}
	ref, err := registry.ParseReference(name)
	if err != nil {
		return registry.Reference{}, fmt.Errorf("invalid reference %q: %w", s, err)
	}
	if ref.Reference == "" {
		ref.Reference = "latest"
	}
	return ref, nil
}

// qualifiedHost tells whether the first component of a reference names a
// registry host, as the Docker CLI decides it.
func qualifiedHost(host string) bool {
	if strings.HasPrefix(host, ".") || strings.HasSuffix(host, ".") {
		return false
	}
	return strings.ContainsAny(host, ".:") || host == "localhost"
}

// RegistryHost normalises a registry name given to login or logout: a
// scheme and path are dropped ("https://ghcr.io/" is ghcr.io), and Docker
// Hub's aliases are docker.io.
func RegistryHost(s string) (string, error) {
	h := s
	if _, rest, ok := strings.Cut(h, "://"); ok {
		h = rest
	}
	h, _, _ = strings.Cut(h, "/")
	switch h {
	case "index.docker.io", dockerHubHost:
		h = dockerHub
	}
	if h == "" || !qualifiedHost(h) {
		return "", fmt.Errorf("%s is not a registry host (e.g. ghcr.io, docker.io or localhost:5000)", s)
	}
	return h, nil
}

// apiHost is the host serving a registry's API.
func apiHost(host string) string {
	if host == dockerHub {
		return dockerHubHost
	}
	return host
}

// Repository returns the remote repository of ref, authenticating with the
// credentials of the Docker config file ($DOCKER_CONFIG/config.json or
// ~/.docker/config.json, including credential helpers).
func Repository(ref registry.Reference, opts Options) (*remote.Repository, error) {
	store, err := credentialStore()
	if err != nil {
		return nil, err
	}
	client, err := authClient(opts, credentials.Credential(store))
	if err != nil {
		return nil, err
	}
	repo, err := remote.NewRepository(apiHost(ref.Registry) + "/" + ref.Repository)
	if err != nil {
		return nil, fmt.Errorf("repository %s/%s: %w", ref.Registry, ref.Repository, err)
	}
	repo.Client = client
	repo.PlainHTTP = opts.PlainHTTP
	return repo, nil
}

// authClient is an HTTP client for registries: retries, the user agent,
// TLS as opts says, and cred for authentication.
func authClient(opts Options, cred auth.CredentialFunc) (*auth.Client, error) {
	transport := http.DefaultTransport.(*http.Transport).Clone()
	if opts.Insecure || opts.CAFile != "" {
		cfg, err := tlsConfig(opts)
		if err != nil {
			return nil, err
		}
		transport.TLSClientConfig = cfg
	}
	header := http.Header{}
	if opts.UserAgent != "" {
		header.Set("User-Agent", opts.UserAgent)
	}
	return &auth.Client{
		Client:     &http.Client{Transport: retry.NewTransport(transport)},
		Header:     header,
		Cache:      auth.NewCache(),
		Credential: cred,
	}, nil
}

// tlsConfig trusts the system's authorities plus opts.CAFile, or skips
// verification with opts.Insecure.
func tlsConfig(opts Options) (*tls.Config, error) {
	cfg := &tls.Config{MinVersion: tls.VersionTLS12, InsecureSkipVerify: opts.Insecure}
	if opts.CAFile == "" {
		return cfg, nil
	}
	pem, err := os.ReadFile(opts.CAFile)
	if err != nil {
		return nil, fmt.Errorf("reading --ca-file: %w", err)
	}
	pool, err := x509.SystemCertPool()
	if err != nil || pool == nil {
		pool = x509.NewCertPool()
	}
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("--ca-file %s holds no PEM certificate", opts.CAFile)
	}
	cfg.RootCAs = pool
	return cfg, nil
}
