package variables

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
)

// Environment prefixes of Spin's variable providers: SPIN_VARIABLE_ (Spin
// 2+) and SPIN_CONFIG_ (Spin 1.x).
const (
	EnvVariablePrefix = "SPIN_VARIABLE_"
	EnvConfigPrefix   = "SPIN_CONFIG_"
)

// Spin's variable error kinds (see Error).
var (
	ErrInvalidName = errors.New("invalid variable name")
	ErrUndefined   = errors.New("undefined variable")
)

// Error is a failed lookup: Kind is ErrInvalidName or ErrUndefined, Detail
// says what was looked up. errors.Is(err, Kind) holds.
type Error struct {
	Kind   error
	Detail string
}

func (e *Error) Error() string { return e.Kind.Error() + ": " + e.Detail }
func (e *Error) Unwrap() error { return e.Kind }

// CheckName validates a variable name or config key with Spin's rules
// (spin-config Key::new): lowercase ASCII letters, digits and single
// underscores, starting with a letter and not ending with "_".
func CheckName(key string) error {
	switch {
	case key == "":
		return errors.New("must not be empty")
	case strings.IndexFunc(key, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '_')
	}) >= 0:
		return fmt.Errorf("%q: only lowercase letters, digits and '_' are allowed", key)
	case key[0] < 'a' || key[0] > 'z':
		return fmt.Errorf("%q: must start with a lowercase letter", key)
	case strings.HasSuffix(key, "_"):
		return fmt.Errorf("%q: must end with a lowercase letter or digit", key)
	case strings.Contains(key, "__"):
		return fmt.Errorf("%q: must not contain consecutive underscores", key)
	}
	return nil
}

// Provider supplies the values of application variables.
type Provider interface {
	// Get returns the value of the variable name (a valid name); found is
	// false when the provider has none.
	Get(ctx context.Context, name string) (value string, found bool, err error)
}

// EnvProvider reads variables from the container environment.
type EnvProvider struct {
	env map[string]string
}

// NewEnvProvider returns the provider of env ("NAME=value" entries; later
// entries win).
func NewEnvProvider(env []string) *EnvProvider {
	m := make(map[string]string, len(env))
	for _, kv := range env {
		if k, v, ok := strings.Cut(kv, "="); ok {
			m[k] = v
		}
	}
	return &EnvProvider{env: m}
}

// Get looks the variable "api_key" up as API_KEY (which the Spin containerd
// shim copies over SPIN_VARIABLE_API_KEY, so it wins), SPIN_VARIABLE_API_KEY
// and SPIN_CONFIG_API_KEY, in that order.
func (p *EnvProvider) Get(_ context.Context, name string) (string, bool, error) {
	upper := strings.ToUpper(name)
	for _, k := range []string{upper, EnvVariablePrefix + upper, EnvConfigPrefix + upper} {
		if v, ok := p.env[k]; ok {
			return v, true, nil
		}
	}
	return "", false, nil
}

// Declaration is an application variable as the app declares it.
type Declaration struct {
	// Default is the value when no provider has one; nil: the variable is
	// required.
	Default *string
}

// Resolve gives every declared variable its value: the first provider's
// that has one, else the default. A variable without either is an error
// naming it.
func Resolve(ctx context.Context, declared map[string]Declaration, providers ...Provider) (map[string]string, error) {
	names := make([]string, 0, len(declared))
	for name := range declared {
		names = append(names, name)
	}
	sort.Strings(names)
	values := make(map[string]string, len(declared))
names:
	for _, name := range names {
		if err := CheckName(name); err != nil {
			return nil, fmt.Errorf("%w: %w", ErrInvalidName, err)
		}
		for _, p := range providers {
			v, found, err := p.Get(ctx, name)
			if err != nil {
				return nil, fmt.Errorf("variable %q: %w", name, err)
			}
			if found {
				values[name] = v
				continue names
			}
		}
		if def := declared[name].Default; def != nil {
			values[name] = *def
			continue
		}
		upper := strings.ToUpper(name)
		return nil, fmt.Errorf("variable %q is required but has no value: set %s%s (or %s) in the container environment",
			name, EnvVariablePrefix, upper, upper)
	}
	return values, nil
}

// Expand expands the "{{ variable }}" references of a Spin template with
// values.
func Expand(tmpl string, values map[string]string) (string, error) {
	var out strings.Builder
	rest := tmpl
	for {
		start := strings.Index(rest, "{{")
		if start < 0 {
			if strings.Contains(rest, "}}") {
				return "", fmt.Errorf("template %q: unmatched '}}'", tmpl)
			}
			out.WriteString(rest)
			return out.String(), nil
		}
		out.WriteString(rest[:start])
		end := strings.Index(rest[start:], "}}")
		if end < 0 {
			return "", fmt.Errorf("template %q: unterminated '{{'", tmpl)
		}
		name := strings.TrimSpace(rest[start+2 : start+end])
		v, ok := values[name]
		if !ok {
			return "", fmt.Errorf("template %q: no variable named %q", tmpl, name)
		}
		out.WriteString(v)
		rest = rest[start+end+2:]
	}
}
