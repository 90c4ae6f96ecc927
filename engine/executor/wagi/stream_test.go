package wagi

import "testing"

func TestSplitCGIHead(t *testing.T) {
	for _, tc := range []struct {
		in, head, rest string
		ok             bool
	}{
		{"Content-Type: t/p\n\nbody", "Content-Type: t/p\n\n", "body", true},
		{"Content-Type: t/p\r\n\r\nbody\r\n", "Content-Type: t/p\r\n\r\n", "body\r\n", true},
		{"\nbody", "\n", "body", true},
		{"Content-Type: t/p\nX: y\n", "", "", false},
		{"no newline at all", "", "", false},
	} {
		head, rest, ok := splitCGIHead([]byte(tc.in))
		if string(head) != tc.head || string(rest) != tc.rest || ok != tc.ok {
			t.Errorf("splitCGIHead(%q) = %q, %q, %v; want %q, %q, %v", tc.in, head, rest, ok, tc.head, tc.rest, tc.ok)
		}
	}
}
