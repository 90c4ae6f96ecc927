package variables

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"

	"github.com/spinoci/spinoci/engine/runtimeconfig"
)

// DefaultEnvPrefix is the prefix of Spin's env variables provider when
// the runtime config gives none.
const DefaultEnvPrefix = "SPIN_VARIABLE"

// PrefixEnvProvider is Spin's "env" variables provider as a runtime config
// declares it: variable "api_key" is <prefix>_API_KEY (the prefix as
// written; API_KEY alone for an empty prefix), from the container
// environment or else from the dotenv file.
type PrefixEnvProvider struct {
	prefix string
	env    map[string]string
	dotenv map[string]string
}

// Get looks name up as <prefix>_<NAME>.
func (p *PrefixEnvProvider) Get(_ context.Context, name string) (string, bool, error) {
	k := strings.ToUpper(name)
	if p.prefix != "" {
		k = p.prefix + "_" + k
	}
	if v, ok := p.env[k]; ok {
		return v, true, nil
	}
	v, ok := p.dotenv[k]
	return v, ok, nil
}

// RuntimeConfigProviders collects the variables providers a runtime
// config declares, in order. Providers reads them from env (the container
// environment).
type RuntimeConfigProviders struct {
	Env       []string
	Providers []Provider
}

// Sections parses [[variables_provider]] (Spin 2+) and [[config_provider]]
// (Spin 1.x): type "env" with optional prefix and dotenv_path.
func (r *RuntimeConfigProviders) Sections() []runtimeconfig.Section {
	parse := func(raw any, f *runtimeconfig.File) error {
		return runtimeconfig.Array(raw, func(_ int, table any) error {
			if _, err := runtimeconfig.TypeOf(table, "env"); err != nil {
				return err
			}
			var c struct {
				Type       string  `toml:"type"`
				Prefix     *string `toml:"prefix"`
				DotenvPath string  `toml:"dotenv_path"`
			}
			if err := runtimeconfig.Decode(table, &c); err != nil {
				return err
			}
			p := &PrefixEnvProvider{prefix: DefaultEnvPrefix, env: NewEnvProvider(r.Env).env}
			if c.Prefix != nil {
				p.prefix = *c.Prefix
			}
			if c.DotenvPath != "" {
				file, err := f.Resolve(c.DotenvPath)
				if err != nil {
					return err
				}
				if p.dotenv, err = readDotenv(file); err != nil {
					return err
				}
			}
			r.Providers = append(r.Providers, p)
			return nil
		})
	}
	return []runtimeconfig.Section{
		{Name: "variables_provider", Parse: parse},
		{Name: "config_provider", Parse: parse},
	}
}

// readDotenv reads a .env file: NAME=value lines, optionally prefixed by
// "export " and with the value in single or double quotes; "#" starts a
// comment line. A file that does not exist holds nothing, as in Spin.
func readDotenv(path string) (map[string]string, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("dotenv_path: %w", err)
	}
	out := map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(data))
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		line = strings.TrimPrefix(line, "export ")
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			return nil, fmt.Errorf("dotenv_path %s:%d: want NAME=value", path, n)
		}
		v = strings.TrimSpace(v)
		if len(v) >= 2 && (v[0] == '"' || v[0] == '\'') && v[len(v)-1] == v[0] {
			v = v[1 : len(v)-1]
		}
		out[strings.TrimSpace(k)] = v
	}
	return out, sc.Err()
}
