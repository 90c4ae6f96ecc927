// Package outboundhttp is the outbound HTTP capability of Spin
// applications: the App's client for guests' requests (redirects are
// handed to the guest, not followed; a timeout bounds each request), the
// App's own origin for relative URLs ("self"), and the request and
// response semantics the Spin 1.x binding (wasi-outbound-http) relies on:
// which requests are sent, how headers and bodies are passed, and Spin's
// error kinds. Components' wasi:http/outgoing-handler uses the same client.
package outboundhttp
