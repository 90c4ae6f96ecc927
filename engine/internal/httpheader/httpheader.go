package httpheader

import (
	"net/http"
	"slices"
	"strings"
)

// ValidName reports whether s is an HTTP token.
func ValidName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' {
			continue
		}
		if !strings.ContainsRune("!#$%&'*+-.^_`|~", rune(c)) {
			return false
		}
	}
	return true
}

// ValidValue reports whether s holds no control characters other than
// horizontal tab.
func ValidValue(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < ' ' && c != '\t' || c == 0x7f {
			return false
		}
	}
	return true
}

// AppendPairs appends h's headers to out with lowercase names, sorted by
// name, one pair per value.
func AppendPairs(out [][2]string, h http.Header) [][2]string {
	var buf [16]string // most requests have fewer headers: no allocation
	names := buf[:0]
	for name := range h {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		lower := lowerName(name)
		for _, v := range h[name] {
			out = append(out, [2]string{lower, v})
		}
	}
	return out
}

// lowerName is strings.ToLower(name), without allocating for the header
// names most requests carry.
func lowerName(name string) string {
	if lower, ok := commonLower(name); ok {
		return lower
	}
	return strings.ToLower(name)
}

// LowerBytes is name as a lowercase string, not allocated for the header
// names most requests carry.
func LowerBytes(name []byte) string {
	if lower, ok := commonLower(string(name)); ok { // the conversion does not escape: no copy
		return lower
	}
	b := make([]byte, len(name))
	for i, c := range name {
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		b[i] = c
	}
	return string(b)
}

// commonLower is the lowercase form of the header names most requests
// carry, given in canonical form (as net/http and fasthttp give them).
func commonLower(name string) (string, bool) {
	switch name {
	case "Accept":
		return "accept", true
	case "Accept-Encoding":
		return "accept-encoding", true
	case "Accept-Language":
		return "accept-language", true
	case "Connection":
		return "connection", true
	case "Content-Length":
		return "content-length", true
	case "Content-Type":
		return "content-type", true
	case "User-Agent":
		return "user-agent", true
	case "Host":
		return "host", true
	}
	return "", false
}

// CanonicalName is http.CanonicalHeaderKey(name) for a valid name (see
// ValidName), without canonicalising (a copy and a map lookup) the
// lowercase names guests give the headers most responses carry.
func CanonicalName(name string) string {
	switch name {
	case "content-type":
		return "Content-Type"
	case "content-length":
		return "Content-Length"
	case "cache-control":
		return "Cache-Control"
	case "location":
		return "Location"
	case "etag":
		return "Etag"
	case "last-modified":
		return "Last-Modified"
	case "content-encoding":
		return "Content-Encoding"
	case "set-cookie":
		return "Set-Cookie"
	}
	return http.CanonicalHeaderKey(name)
}
