package engine

import (
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/spinoci/spinoci/lock"
)

// Environment prefixes of Spin's variable providers: SPIN_VARIABLE_ (Spin 2+) and SPIN_CONFIG_ (Spin 1.x).
const (
	envVariablePrefix = "SPIN_VARIABLE_"
	envConfigPrefix   = "SPIN_CONFIG_"
)

// checkKey validates a variable name or config key with Spin's rules
// (spin-config Key::new): lowercase ASCII letters, digits and single
// underscores, starting with a letter and not ending with "_".
func checkKey(key string) error {
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

// envMap turns "NAME=value" entries into a map; later entries win.
func envMap(env []string) map[string]string {
	m := make(map[string]string, len(env))
	for _, kv := range env {
		if k, v, ok := strings.Cut(kv, "="); ok {
			m[k] = v
		}
	}
	return m
}

// resolveVariables gives every application variable its value. For a
// variable "api_key" the container environment is searched for API_KEY
// (copied over SPIN_VARIABLE_API_KEY by the Spin containerd shim, so it
// wins), SPIN_VARIABLE_API_KEY and SPIN_CONFIG_API_KEY, in that order;
// otherwise the default applies. A variable without a default and without
// a value is an error naming it.
func resolveVariables(vars map[string]lock.Variable, env []string) (map[string]string, error) {
	envs := envMap(env)
	names := make([]string, 0, len(vars))
	for name := range vars {
		names = append(names, name)
	}
	sort.Strings(names)
	values := make(map[string]string, len(vars))
	for _, name := range names {
		if err := checkKey(name); err != nil {
			return nil, fmt.Errorf("invalid variable name: %w", err)
		}
		upper := strings.ToUpper(name)
		found := false
		for _, k := range []string{upper, envVariablePrefix + upper, envConfigPrefix + upper} {
			if v, ok := envs[k]; ok {
				values[name], found = v, true
				break
			}
		}
		if found {
			continue
		}
		if def := vars[name].Default; def != nil {
			values[name] = *def
			continue
		}
		return nil, fmt.Errorf("variable %q is required but has no value: set %s%s (or %s) in the container environment",
			name, envVariablePrefix, upper, upper)
	}
	return values, nil
}

// expandTemplate expands the "{{ variable }}" references of a Spin
// template with values.
func expandTemplate(tmpl string, values map[string]string) (string, error) {
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

// componentConfig resolves a component's config map (spin-config keys to
// literal values or templates) against the application's variables.
func componentConfig(c *lock.Component, values map[string]string) (map[string]string, error) {
	out := make(map[string]string, len(c.Config))
	for key, tmpl := range c.Config {
		if err := checkKey(key); err != nil {
			return nil, fmt.Errorf("invalid config key: %w", err)
		}
		v, err := expandTemplate(tmpl, values)
		if err != nil {
			return nil, fmt.Errorf("config %q: %w", key, err)
		}
		out[key] = v
	}
	return out, nil
}

// spin-config error variant tags that this host
// returns; provider (0) and invalid-schema (2) cannot happen, since every
// value is resolved when the app loads.
const (
	configErrInvalidKey = 1
	configErrOther      = 3
)

// hostGetConfig implements spin-config.get-config(key_ptr, key_len, ret):
// the component's resolved config value, or an error variant.
func hostGetConfig(call *hostCall, args []int32) error {
	key, err := call.readString(args[0], args[1])
	if err != nil {
		return err
	}
	ret := args[2]
	area := make(retArea, 16)
	value, tag, msg := call.state.comp.getConfig(key)
	if tag < 0 {
		ptr, err := call.putBytes([]byte(value))
		if err != nil {
			return err
		}
		area.u32(4, ptr)
		area.u32(8, uint32(len(value)))
		return call.writeRet(ret, area)
	}
	ptr, err := call.putBytes([]byte(msg))
	if err != nil {
		return err
	}
	area.u8(0, 1)
	area.u8(4, uint8(tag))
	area.u32(8, ptr)
	area.u32(12, uint32(len(msg)))
	return call.writeRet(ret, area)
}

// getConfig looks key up in the component's resolved config. tag is -1 on
// success, else a spin-config error tag with its message.
func (c *component) getConfig(key string) (value string, tag int, msg string) {
	if err := checkKey(key); err != nil {
		return "", configErrInvalidKey, err.Error()
	}
	v, ok := c.config[key]
	if !ok {
		return "", configErrOther, fmt.Sprintf("no config value for key %q in component %q", key, c.id)
	}
	return v, -1, ""
}
