package variables

import (
	"context"
	"fmt"
	"slices"
	"strings"
)

// Config is a component's configuration: its config keys with their
// templates resolved against the application's variables. Every value is
// resolved when the app loads, so lookups never reach a provider.
type Config struct {
	component string
	values    map[string]string
}

// ComponentConfig resolves the config map of component (config keys to
// literal values or templates) against the application's variable values.
func ComponentConfig(component string, templates map[string]string, values map[string]string) (*Config, error) {
	out := make(map[string]string, len(templates))
	for key, tmpl := range templates {
		if err := CheckName(key); err != nil {
			return nil, fmt.Errorf("invalid config key: %w", err)
		}
		v, err := Expand(tmpl, values)
		if err != nil {
			return nil, fmt.Errorf("config %q: %w", key, err)
		}
		out[key] = v
	}
	return &Config{component: component, values: out}, nil
}

// Get returns the value of the config key; a failure is an *Error of kind
// ErrInvalidName or ErrUndefined.
func (c *Config) Get(_ context.Context, key string) (string, error) {
	if err := CheckName(key); err != nil {
		return "", &Error{Kind: ErrInvalidName, Detail: err.Error()}
	}
	v, ok := c.values[key]
	if !ok {
		return "", &Error{Kind: ErrUndefined, Detail: fmt.Sprintf("no config value for key %q in component %q", key, c.component)}
	}
	return v, nil
}

// All returns every config key with its value, sorted by key.
func (c *Config) All() [][2]string {
	out := make([][2]string, 0, len(c.values))
	for k, v := range c.values {
		out = append(out, [2]string{k, v})
	}
	slices.SortFunc(out, func(x, y [2]string) int { return strings.Compare(x[0], y[0]) })
	return out
}
