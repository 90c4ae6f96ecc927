// Package httpheader holds the HTTP header rules shared by the inbound
// request model and outbound HTTP: which names and values are valid, and
// the lowercase, sorted name/value pairs that guests see.
package httpheader
