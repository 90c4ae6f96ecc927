// Package networktest builds allow-lists for the tests of the capabilities
// that reach out (redis, mqtt, rdbms, sockets) and of their bindings.
package networktest

import (
	"testing"

	"github.com/spinoci/spinoci/engine/capability/network"
)

// AllowList is the allow-list of entries (allowed_outbound_hosts syntax);
// t fails when an entry does not parse.
func AllowList(t testing.TB, entries ...string) *network.AllowedHosts {
	t.Helper()
	a, err := network.ParseAllowedOutboundHosts(entries)
	if err != nil {
		t.Fatal(err)
	}
	return a
}
