package rdbms

import (
	"errors"
	"fmt"
)

// ErrorKind is the case of Spin's rdbms error variant.
type ErrorKind uint8

// The error kinds, in the order of the WIT variant (the Spin 1.x variants
// have "success" before them and call Other "other-error").
const (
	ConnectionFailed ErrorKind = iota
	BadParameter
	QueryFailed
	ValueConversionFailed
	Other
)

var errorNames = [...]string{"connection-failed", "bad-parameter", "query-failed", "value-conversion-failed", "other"}

// Name is k's case name in the WIT error variant.
func (k ErrorKind) Name() string { return errorNames[k] }

// Error is a database error of one of Spin's kinds; Message is its payload.
type Error struct {
	Kind    ErrorKind
	Message string
}

func (e *Error) Error() string { return e.Kind.Name() + ": " + e.Message }

// Errorf returns an Error of kind with a formatted message.
func Errorf(kind ErrorKind, format string, args ...any) *Error {
	return &Error{Kind: kind, Message: fmt.Sprintf(format, args...)}
}

// AsError returns err as an Error: an Error it wraps, or Other with err's
// text.
func AsError(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return &Error{Kind: Other, Message: err.Error()}
}

// AsConnectionFailed returns err as an Error: an Error it wraps, or
// connection-failed with err's text.
func AsConnectionFailed(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return &Error{Kind: ConnectionFailed, Message: err.Error()}
}
