// Package inbound is the HTTP trigger's request model, shared by the engine
// (which routes a request and builds it) and the executors (which run it):
// the routed Request, the headers Spin adds to it (spin-full-url,
// spin-path-info, …, and their WAGI environment names), the method enum of
// Spin's http-types, and how a guest's whole Response is written back.
package inbound
