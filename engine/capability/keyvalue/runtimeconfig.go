package keyvalue

import (
	"path/filepath"

	"github.com/spinoci/spinoci/engine/runtimeconfig"
)

// RuntimeConfigSection parses [key_value_store.<label>] sections: type
// "spin" with an optional path (a SQLite file, relative to the runtime
// config file; when absent, the store is in memory, as in Spin) or type
// "redis" with a url.
func (s *Stores) RuntimeConfigSection() runtimeconfig.Section {
	return runtimeconfig.Section{Name: "key_value_store", Parse: func(raw any, f *runtimeconfig.File) error {
		return runtimeconfig.Tables(raw, func(label string, table any) error {
			typ, err := runtimeconfig.TypeOf(table, "spin", "redis")
			if err != nil {
				return err
			}
			switch typ {
			case "spin":
				var c struct {
					Type string `toml:"type"`
					Path string `toml:"path"`
				}
				if err := runtimeconfig.Decode(table, &c); err != nil {
					return err
				}
				// Without a path the store is in memory, as in Spin.
				p := SQLiteProvider{}
				if c.Path != "" {
					file, err := f.Resolve(c.Path)
					if err != nil {
						return err
					}
					p.File = filepath.Clean(file)
				}
				s.providers[label] = p
			case "redis":
				var c struct {
					Type string `toml:"type"`
					URL  string `toml:"url"`
				}
				if err := runtimeconfig.Decode(table, &c); err != nil {
					return err
				}
				if c.URL == "" {
					return errMissingURL
				}
				s.providers[label] = RedisProvider{URL: c.URL}
			}
			return nil
		})
	}}
}
