package engine

import (
	"context"
	"fmt"

	"github.com/spinoci/spinoci/engine/capability/keyvalue"
	"github.com/spinoci/spinoci/engine/capability/llm"
	"github.com/spinoci/spinoci/engine/capability/network"
	"github.com/spinoci/spinoci/engine/capability/rdbms"
	"github.com/spinoci/spinoci/engine/capability/sqlite"
	"github.com/spinoci/spinoci/engine/capability/variables"
	"github.com/spinoci/spinoci/lock"
)

// resolveVariables gives every application variable its value from the
// container environment (see Config.Env) or its default.
// Providers a runtime config declares come after the environment's.
func resolveVariables(ctx context.Context, vars map[string]lock.Variable, env []string, more ...variables.Provider) (map[string]string, error) {
	declared := make(map[string]variables.Declaration, len(vars))
	for name, v := range vars {
		declared[name] = variables.Declaration{Default: v.Default}
	}
	return variables.Resolve(ctx, declared, append([]variables.Provider{variables.NewEnvProvider(env)}, more...)...)
}

// capabilities is what a component's host interfaces reach.
type capabilities struct {
	config       *variables.Config
	kv           *keyvalue.Access
	sqlite       *sqlite.Access
	llm          *llm.Engine
	allowedHosts *network.AllowedHosts
	// postgres and mysql check addresses against allowedHosts.
	postgres, mysql *rdbms.Access
}

// capabilities reads from the lock what the component's host interfaces
// need: its resolved config, the key-value stores it may open (opening the
// App's stores on first use) and its outbound allow-list.
func (a *App) capabilities(ctx context.Context, lc *lock.Component) (capabilities, error) {
	var caps capabilities
	var err error
	if caps.config, err = variables.ComponentConfig(lc.ID, lc.Config, a.vars); err != nil {
		return caps, err
	}
	labels, err := lc.KeyValueStores()
	if err != nil {
		return caps, err
	}
	if caps.kv, err = a.kv.Access(ctx, labels); err != nil {
		return caps, err
	}
	if labels, err = lc.SQLiteDatabases(); err != nil {
		return caps, err
	}
	if caps.sqlite, err = a.sqlite.Access(ctx, labels); err != nil {
		return caps, err
	}
	models, err := lc.MetadataStrings(lock.MetadataAIModels)
	if err != nil {
		return caps, err
	}
	caps.llm = llm.NewEngine(models)
	// A Spin 2+ lock carries allowed_outbound_hosts, a Spin 1.x one
	// allowed_http_hosts; entries may use variables.
	entries, spin2, err := lc.AllowedOutboundHosts()
	if err != nil {
		return caps, err
	}
	key, parse := lock.MetadataAllowedHTTPHosts, network.ParseAllowedHTTPHosts
	if spin2 {
		key, parse = lock.MetadataAllowedOutboundHosts, network.ParseAllowedOutboundHosts
	}
	for i, e := range entries {
		if entries[i], err = variables.Expand(e, a.vars); err != nil {
			return caps, fmt.Errorf("%s: %w", key, err)
		}
	}
	if caps.allowedHosts, err = parse(entries); err != nil {
		return caps, err
	}
	caps.postgres, caps.mysql = a.sql.access(caps.allowedHosts)
	return caps, nil
}
