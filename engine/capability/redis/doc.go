// Package redis is the outbound Redis host capability of Spin
// applications: the connections every ABI binding uses (Spin 1.x's
// outbound-redis core imports and the unversioned fermyon:spin/redis of
// Spin SDK 1.4/1.5, which take an address per call; the connection
// resource of fermyon:spin/redis@2.0.0), their operations with Spin's
// semantics and Spin's error kinds.
//
// An address is a redis:// or rediss:// URL (user, password and database
// number as go-redis parses them). A component reaches only the endpoints
// its allowed_outbound_hosts allow ("redis://host:port"; a Spin 1.x
// component, which has allowed_http_hosts only, reaches any Redis server,
// as Spin does); any other address is ErrInvalidAddress.
//
// Connections belong to one guest instance (one request): at most
// MaxConnections at once, all closed when the instance ends. Each is one
// TCP connection (RESP2, as Spin's client speaks), so state a guest sets
// with execute (SELECT, MULTI, …) stays on its own connection. Dialing is
// bounded by DialTimeout and every command by CommandTimeout.
package redis
