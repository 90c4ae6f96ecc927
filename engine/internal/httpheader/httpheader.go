package httpheader

import (
	"net/http"
	"sort"
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
	names := make([]string, 0, len(h))
	for name := range h {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		lower := strings.ToLower(name)
		for _, v := range h[name] {
			out = append(out, [2]string{lower, v})
		}
	}
	return out
}
