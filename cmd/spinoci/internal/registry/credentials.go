package registry

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"

	"oras.land/oras-go/v2/registry/remote"
	"oras.land/oras-go/v2/registry/remote/auth"
	"oras.land/oras-go/v2/registry/remote/credentials"
	"oras.land/oras-go/v2/registry/remote/errcode"
)

// credentialStore is the Docker CLI's credential store: the Docker config
// file, or the credential helpers it names (credsStore, credHelpers). As
// for `docker login`, a platform helper found on PATH is used when the file
// configures none, and otherwise credentials are saved in the file.
func credentialStore() (*credentials.DynamicStore, error) {
	store, err := credentials.NewStoreFromDocker(credentials.StoreOptions{
		AllowPlaintextPut:        true,
		DetectDefaultNativeStore: true,
	})
	if err != nil {
		return nil, fmt.Errorf("reading the Docker config file: %w", err)
	}
	return store, nil
}

// Stored says where Login saved the credentials.
type Stored struct {
	// ConfigPath is the Docker config file.
	ConfigPath string
	// Plaintext is set when the credentials are in ConfigPath itself
	// (base64, not encrypted) rather than with a credential helper.
	Plaintext bool
}

// Login checks the username and password (or token) against the registry
// host (a registry name as RegistryHost returns it) and stores them as
// `docker login` does. Failures are explained (an *Error) as by Explain; a
// refused password says so.
func Login(ctx context.Context, host, username, password string, opts Options) (Stored, error) {
	store, err := credentialStore()
	if err != nil {
		return Stored{}, err
	}
	client, err := authClient(opts, nil)
	if err != nil {
		return Stored{}, err
	}
	reg, err := remote.NewRegistry(apiHost(host))
	if err != nil {
		return Stored{}, fmt.Errorf("registry %s: %w", host, err)
	}
	reg.Client = client
	reg.PlainHTTP = opts.PlainHTTP
	cred := auth.Credential{Username: username, Password: password}
	if err := credentials.Login(ctx, store, reg, cred); err != nil {
		var resp *errcode.ErrorResponse
		if errors.As(err, &resp) && resp.StatusCode == http.StatusUnauthorized {
			return Stored{}, &Error{Message: "wrong username or password (the registry answered 401 Unauthorized)", Err: err}
		}
		return Stored{}, Explain(err, host, opts)
	}
	key := credentials.ServerAddressFromRegistry(apiHost(host))
	return Stored{ConfigPath: store.ConfigPath(), Plaintext: plaintextIn(store.ConfigPath(), key)}, nil
}

// plaintextIn tells whether the Docker config file at path holds the
// credentials of key itself.
func plaintextIn(path, key string) bool {
	data, err := os.ReadFile(path)
	if err != nil {
		return false
	}
	var cfg struct {
		Auths map[string]struct {
			Auth string `json:"auth"`
		} `json:"auths"`
	}
	return json.Unmarshal(data, &cfg) == nil && cfg.Auths[key].Auth != ""
}

// Logout removes the stored credentials of the registry host. It reports
// false when there were none.
func Logout(ctx context.Context, host string) (bool, error) {
	store, err := credentialStore()
	if err != nil {
		return false, err
	}
	cred, err := store.Get(ctx, credentials.ServerAddressFromRegistry(apiHost(host)))
	if err != nil {
		return false, fmt.Errorf("reading the credentials of %s: %w", host, err)
	}
	if cred == auth.EmptyCredential {
		return false, nil
	}
	if err := credentials.Logout(ctx, store, apiHost(host)); err != nil {
		return false, err
	}
	return true, nil
}
