package lock

import (
	"encoding/json"
	"fmt"
)

// Component metadata keys Spin's loader writes into a lock.
const (
	MetadataKeyValueStores = "key_value_stores"
	MetadataDatabases      = "databases"
	MetadataAIModels       = "ai_models"
	// MetadataAllowedOutboundHosts is written by Spin 2 and later.
	MetadataAllowedOutboundHosts = "allowed_outbound_hosts"
	// MetadataAllowedHTTPHosts is written by Spin 1.x.
	MetadataAllowedHTTPHosts = "allowed_http_hosts"
)

// AppInfo is the application's identity from the lock metadata, shaped as
// Spin's AppInfo (served at /.well-known/spin/info). Optional fields are nil
// when the metadata does not carry them.
type AppInfo struct {
	Name           string  `json:"name"`
	Version        *string `json:"version,omitempty"`
	BindleVersion  *string `json:"bindle_version,omitempty"`
	OCIImageDigest *string `json:"oci_image_digest,omitempty"`
}

// Info reads the name, version, bindle_version and oci_image_digest
// metadata. An absent or null key leaves its field zero; a value that is not
// a string is an error.
func (a *LockedApp) Info() (AppInfo, error) {
	var info AppInfo
	for _, f := range []struct {
		key string
		dst any
	}{
		{"name", &info.Name},
		{"version", &info.Version},
		{"bindle_version", &info.BindleVersion},
		{"oci_image_digest", &info.OCIImageDigest},
	} {
		if raw, ok := a.Metadata[f.key]; ok {
			if err := json.Unmarshal(raw, f.dst); err != nil {
				return AppInfo{}, fmt.Errorf("metadata %q: %w", f.key, err)
			}
		}
	}
	return info, nil
}

// Component returns the component with the given id. The pointer refers to
// the app's own slice element.
func (a *LockedApp) Component(id string) (*Component, bool) {
	for i := range a.Components {
		if a.Components[i].ID == id {
			return &a.Components[i], true
		}
	}
	return nil, false
}

// KeyValueStores returns the key-value store labels the component may open.
func (c *Component) KeyValueStores() ([]string, error) {
	return c.MetadataStrings(MetadataKeyValueStores)
}

// SQLiteDatabases returns the SQLite database labels the component may open.
func (c *Component) SQLiteDatabases() ([]string, error) {
	return c.MetadataStrings(MetadataDatabases)
}

// AllowedOutboundHosts returns the component's outbound allow-list as
// written in the lock (entries may hold "{{ variable }}" templates). A Spin
// 2+ lock carries allowed_outbound_hosts (URLs with scheme and port), a Spin
// 1.x one allowed_http_hosts (hosts or URLs); spin2Syntax tells which was
// found. allowed_outbound_hosts wins whenever it is present, even as null or
// an empty list.
func (c *Component) AllowedOutboundHosts() (hosts []string, spin2Syntax bool, err error) {
	if _, ok := c.Metadata[MetadataAllowedOutboundHosts]; ok {
		hosts, err = c.MetadataStrings(MetadataAllowedOutboundHosts)
		return hosts, true, err
	}
	hosts, err = c.MetadataStrings(MetadataAllowedHTTPHosts)
	return hosts, false, err
}

// MetadataStrings returns the component metadata value at key as a list of
// strings (e.g. "allowed_outbound_hosts", "key_value_stores"). An absent or
// null key gives nil; any other non-list-of-strings value is an error.
func (c *Component) MetadataStrings(key string) ([]string, error) {
	raw, ok := c.Metadata[key]
	if !ok || isNull(raw) {
		return nil, nil
	}
	var out []string
	if err := json.Unmarshal(raw, &out); err != nil {
		return nil, fmt.Errorf("lock: component %q: metadata %q is not a list of strings: %w", c.ID, key, err)
	}
	return out, nil
}
