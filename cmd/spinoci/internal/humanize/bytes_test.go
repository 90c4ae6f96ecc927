package humanize

import "testing"

func TestBytes(t *testing.T) {
	for _, tc := range []struct {
		n    int64
		want string
	}{
		{-1, "unknown size"},
		{0, "0 B"},
		{214, "214 B"},
		{1023, "1023 B"},
		{1024, "1 KiB"},
		{1536, "1.5 KiB"},
		{10 * 1024, "10 KiB"},
		{1024*1024 - 1, "1 MiB"},
		{150000000, "143 MiB"},
		{5 << 30, "5 GiB"},
		{1<<63 - 1, "8 EiB"},
	} {
		if got := Bytes(tc.n); got != tc.want {
			t.Errorf("Bytes(%d) = %q, want %q", tc.n, got, tc.want)
		}
	}
}
