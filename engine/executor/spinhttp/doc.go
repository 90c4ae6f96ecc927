// Package spinhttp is the Spin executor for Spin 1.x HTTP core modules
// (wit-bindgen 0.2 canonical ABI): each request instantiates the module in
// a fresh Store of the core-module host and calls handle-http-request with
// the URI, the headers (Spin's included) and the whole body, then writes
// the response the guest returned and frees it as the Spin adapter's
// post-return does. Spin SDK 1.4/1.5 modules (wit-bindgen 0.8) are served
// the same way under their canonical ABI names
// (fermyon:spin/inbound-http#handle-request, cabi_realloc), their
// post-return export freeing the response.
package spinhttp
