package registry

import (
	"fmt"
	"net/http"
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
	// UserAgent is sent with every request.
	UserAgent string
}

// ParseReference parses an image reference ("host[:port]/repo[:tag|@digest]").
// A reference without a registry host is a Docker Hub one, as for docker
// and Spin ("user/app:v1" is docker.io/user/app:v1). The tag defaults to
// "latest".
func ParseReference(s string) (registry.Reference, error) {
	name := s
	first, _, found := strings.Cut(s, "/")
	if !found || !(strings.ContainsAny(first, ".:") || first == "localhost") {
		if !found {
			name = dockerHub + "/library/" + s
		} else {
			name = dockerHub + "/" + s
		}
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

// Repository returns the remote repository of ref, authenticating with the
// credentials of the Docker config file ($DOCKER_CONFIG/config.json or
// ~/.docker/config.json, including credential helpers).
func Repository(ref registry.Reference, opts Options) (*remote.Repository, error) {
	store, err := credentials.NewStoreFromDocker(credentials.StoreOptions{})
	if err != nil {
		return nil, fmt.Errorf("reading Docker credentials: %w", err)
	}
	host := ref.Registry
	if host == dockerHub {
		host = dockerHubHost
	}
	repo, err := remote.NewRepository(host + "/" + ref.Repository)
	if err != nil {
		return nil, fmt.Errorf("repository %s/%s: %w", ref.Registry, ref.Repository, err)
	}
	header := http.Header{}
	if opts.UserAgent != "" {
		header.Set("User-Agent", opts.UserAgent)
	}
	repo.Client = &auth.Client{
		Client:     retry.DefaultClient,
		Header:     header,
		Cache:      auth.NewCache(),
		Credential: credentials.Credential(store),
	}
	repo.PlainHTTP = opts.PlainHTTP
	return repo, nil
}
