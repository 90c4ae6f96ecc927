// Package network is the outbound networking capability of Spin
// applications: a component's allow-list of outbound destinations, parsed
// from Spin 1.x allowed_http_hosts or Spin 2+ allowed_outbound_hosts, which
// every capability that reaches out (outbound HTTP, wasi:sockets through
// AllowedEndpoint and AllowsHostLookup; Redis, Postgres, MySQL, MQTT)
// checks its destinations against.
package network
