package lock

import (
	"encoding/base64"
	"fmt"
	"strings"
)

// inlineEncoding matches Spin's BASE64_STANDARD_NO_PAD: standard alphabet,
// padding and non-zero trailing bits rejected. A function rather than a
// package variable so there is no shared mutable state.
func inlineEncoding() *base64.Encoding { return base64.RawStdEncoding.Strict() }

// DecodeInline decodes a lock `inline` value. "" is an empty file.
func DecodeInline(s string) ([]byte, error) {
	// Go's decoder skips CR and LF even in strict mode; Spin's does not.
	if i := strings.IndexAny(s, "\r\n"); i >= 0 {
		return nil, fmt.Errorf("lock: inline content: illegal line break at offset %d", i)
	}
	b, err := inlineEncoding().DecodeString(s)
	if err != nil {
		return nil, fmt.Errorf("lock: inline content: %w", err)
	}
	return b, nil
}

// EncodeInline encodes b as a lock `inline` value.
func EncodeInline(b []byte) string {
	return inlineEncoding().EncodeToString(b)
}
