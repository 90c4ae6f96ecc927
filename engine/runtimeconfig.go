package engine

import (
	"github.com/spinoci/spinoci/engine/capability/llm"
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
