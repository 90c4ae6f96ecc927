package lock

import "encoding/json"

// LockedApp is a Spin application lockfile (spin.lock), as written by Spin
// 1.x (spin_lock_version 0) and Spin 2.x+ (0 or 1).
type LockedApp struct {
	SpinLockVersion  int                        `json:"spin_lock_version"`
	MustUnderstand   []string                   `json:"must_understand,omitempty"`
	Metadata         map[string]json.RawMessage `json:"metadata,omitempty"`
	HostRequirements map[string]json.RawMessage `json:"host_requirements,omitempty"`
	Variables        map[string]Variable        `json:"variables,omitempty"`
	Triggers         []Trigger                  `json:"triggers"`
	Components       []Component                `json:"components"`
}

// Variable is an application variable declaration.
type Variable struct {
	Description string  `json:"description,omitempty"`
	Default     *string `json:"default,omitempty"`
	Secret      bool    `json:"secret,omitempty"`
}

// Trigger binds a trigger type (e.g. "http") to a component through its
// type-specific configuration.
type Trigger struct {
	ID            string          `json:"id"`
	TriggerType   string          `json:"trigger_type"`
	TriggerConfig json.RawMessage `json:"trigger_config,omitempty"`
}

// Component is one Wasm component (or core module) of the application.
type Component struct {
	ID               string                     `json:"id"`
	Metadata         map[string]json.RawMessage `json:"metadata,omitempty"`
	Source           ComponentSource            `json:"source"`
	Env              map[string]string          `json:"env,omitempty"`
	Files            []ContentPath              `json:"files,omitempty"`
	Config           map[string]string          `json:"config,omitempty"`
	Dependencies     map[string]json.RawMessage `json:"dependencies,omitempty"`
	HostRequirements map[string]json.RawMessage `json:"host_requirements,omitempty"`
}

// ContentRef locates content: by URI (Source, only in local locks), inline
// bytes (Inline, base64 standard alphabet without padding; an empty string is
// an empty file and is distinct from nil), and/or by Digest.
type ContentRef struct {
	Source string  `json:"source,omitempty"`
	Inline *string `json:"inline,omitempty"`
	Digest string  `json:"digest,omitempty"`
}

// ComponentSource is the Wasm binary of a component.
type ComponentSource struct {
	ContentType string `json:"content_type"`
	ContentRef
}

// ContentPath is a file (or, in a local lock, a directory whose Source is a
// file:// URI) mounted into a component at Path.
type ContentPath struct {
	ContentRef
	Path string `json:"path"`
}
