package engine

import (
	"context"

	"github.com/spinoci/spinoci/engine/capability/keyvalue"
	"github.com/spinoci/spinoci/engine/capability/llm"
	"github.com/spinoci/spinoci/engine/capability/sqlite"
	"github.com/spinoci/spinoci/engine/capability/variables"
	"github.com/spinoci/spinoci/engine/runtimeconfig"
)

// readRuntimeConfig applies Config.RuntimeConfigFile: each capability
// parses its own section. It returns the variables providers the file
// declares.
func (a *App) readRuntimeConfig() ([]variables.Provider, error) {
	if a.cfg.RuntimeConfigFile == "" {
		return nil, nil
	}
	vp := &variables.RuntimeConfigProviders{Env: a.cfg.Env}
	sections := append([]runtimeconfig.Section{
		a.kv.RuntimeConfigSection(),
		a.sqlite.RuntimeConfigSection(),
		llm.RuntimeConfigSection(),
	}, vp.Sections()...)
	f := &runtimeconfig.File{Path: a.cfg.RuntimeConfigFile, Name: a.cfg.RuntimeConfigName,
		Container: a.cfg.RuntimeConfigName != "", Volumes: a.cfg.RuntimeConfigVolumes}
	if err := f.Read(sections...); err != nil {
		return nil, err
	}
	return vp.Providers, nil
}

// openStores opens the key-value stores labels name for a component; in
// CompileOnly mode it only checks that they exist (nil Access: the
// component runs nothing).
func (a *App) openStores(ctx context.Context, labels []string) (*keyvalue.Access, error) {
	if a.cfg.CompileOnly {
		return nil, a.kv.Check(labels)
	}
	return a.kv.Access(ctx, labels)
}

// openDatabases is openStores for SQLite databases.
func (a *App) openDatabases(ctx context.Context, labels []string) (*sqlite.Access, error) {
	if a.cfg.CompileOnly {
		return nil, a.sqlite.Check(labels)
	}
	return a.sqlite.Access(ctx, labels)
}
