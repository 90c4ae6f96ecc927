// Package component is the executor of WebAssembly components on the Go
// WASI 0.2 host (package wasip2): components exporting
// wasi:http/incoming-handler@0.2.x get the request streamed, and components
// exporting fermyon:spin/inbound-http (Spin 1.x modules componentized by
// `spin registry push`) are served like the Spin executor serves modules:
// same request headers, body read whole, same response rules.
package component
