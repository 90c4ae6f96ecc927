// Package wagi is the WAGI executor: a WASI command module run as a CGI
// script in a fresh Store of the core-module host per request, with the
// CGI environment (Spin's headers under their WAGI names included), the
// argv template, the body as stdin and its stdout parsed as a CGI response.
package wagi
