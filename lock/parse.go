package lock

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sort"
)

// Known values of must_understand. Any other value means the lock uses a
// feature whose semantics we do not know, so the app must be refused.
const (
	MustUnderstandHostRequirements          = "host_requirements"
	MustUnderstandComponentHostRequirements = "component_host_requirements"
)

// Values of a host_requirements entry.
const (
	HostRequirementRequired = "required"
	HostRequirementOptional = "optional"
)

// Errors callers may want to tell apart with errors.Is.
var (
	// ErrUnsupported marks a lock that is well formed but asks for something
	// spinoci cannot provide (lock version, must_understand entry, required
	// host feature, executor).
	ErrUnsupported = errors.New("not supported by spinoci")
	// ErrInvalid marks a lock that is malformed.
	ErrInvalid = errors.New("invalid lock")
)

// supportedHostRequirements lists the host_requirements keys spinoci can
// honour. None yet; it is a function, not a variable, to keep the package free
// of mutable state.
func supportedHostRequirement(string) bool { return false }

// Parse decodes a spin.lock document and validates it (see Validate).
// Unknown fields are ignored, as Spin does.
func Parse(data []byte) (*LockedApp, error) {
	var app LockedApp
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&app); err != nil {
		return nil, fmt.Errorf("lock: decode: %w", err)
	}
	// A second document (or garbage) after the lock means the blob is not
	// what we think it is.
	if dec.More() {
		return nil, fmt.Errorf("lock: decode: unexpected data after the lock object: %w", ErrInvalid)
	}
	if err := app.Validate(); err != nil {
		return nil, err
	}
	return &app, nil
}

// Validate checks the compatibility gates of the lock: spin_lock_version is 0
// or 1, every must_understand entry is known, and no host requirement (app or
// component level) is "required" unless spinoci supports it. It also refuses
// components without an id and duplicated component ids, which would make
// triggers and file layouts ambiguous.
func (a *LockedApp) Validate() error {
	if a == nil {
		return fmt.Errorf("lock: nil app: %w", ErrInvalid)
	}
	if a.SpinLockVersion != 0 && a.SpinLockVersion != 1 {
		return fmt.Errorf("lock: spin_lock_version %d is %w (want 0 or 1)", a.SpinLockVersion, ErrUnsupported)
	}
	for _, mu := range a.MustUnderstand {
		switch mu {
		case MustUnderstandHostRequirements, MustUnderstandComponentHostRequirements:
		default:
			return fmt.Errorf("lock: must_understand entry %q is %w", mu, ErrUnsupported)
		}
	}
	if err := checkHostRequirements(a.HostRequirements); err != nil {
		return fmt.Errorf("lock: %w", err)
	}
	seen := make(map[string]bool, len(a.Components))
	for i := range a.Components {
		c := &a.Components[i]
		if c.ID == "" {
			return fmt.Errorf("lock: component #%d has no id: %w", i, ErrInvalid)
		}
		if seen[c.ID] {
			return fmt.Errorf("lock: component %q is declared more than once: %w", c.ID, ErrInvalid)
		}
		seen[c.ID] = true
		// Checked even when must_understand lacks component_host_requirements:
		// refusing a requirement we cannot meet is always the safe side.
		if err := checkHostRequirements(c.HostRequirements); err != nil {
			return fmt.Errorf("lock: component %q: %w", c.ID, err)
		}
	}
	return nil
}

// checkHostRequirements refuses any "required" key spinoci does not support
// and any value other than "required"/"optional". Keys are visited in sorted
// order so the error is deterministic.
func checkHostRequirements(reqs map[string]json.RawMessage) error {
	keys := make([]string, 0, len(reqs))
	for k := range reqs {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		var v string
		if err := json.Unmarshal(reqs[k], &v); err != nil || !slices.Contains([]string{HostRequirementRequired, HostRequirementOptional}, v) {
			return fmt.Errorf("host requirement %q has value %s, want %q or %q: %w",
				k, reqs[k], HostRequirementRequired, HostRequirementOptional, ErrInvalid)
		}
		if v == HostRequirementRequired && !supportedHostRequirement(k) {
			return fmt.Errorf("host requirement %q is required but %w", k, ErrUnsupported)
		}
	}
	return nil
}
