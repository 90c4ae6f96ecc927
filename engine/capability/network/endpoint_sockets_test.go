package network

import "testing"

func TestAllowedSocketEndpoint(t *testing.T) {
	a, err := ParseAllowedOutboundHosts([]string{
		"tcp://127.0.0.1:5000", "*://10.0.0.1:6000..6010", "tcp://localhost:7000",
		"tcp://*.example.test:*", "redis://192.0.2.1:6379", "https://192.0.2.2", "tcp://[::1]:8000",
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		scheme, host string
		port         int
		want         bool
	}{
		{"tcp", "127.0.0.1", 5000, true},
		{"tcp", "127.0.0.1", 5001, false},
		{"udp", "127.0.0.1", 5000, false},
		{"tcp", "10.0.0.1", 6005, true},
		{"udp", "10.0.0.1", 6010, true},
		{"tcp", "10.0.0.1", 6011, false},
		{"tcp", "LOCALHOST", 7000, true},
		{"tcp", "a.example.test", 1, true},
		{"tcp", "example.test", 1, false},
		{"tcp", "192.0.2.1", 6379, false}, // a redis entry is not a socket entry
		{"tcp", "192.0.2.2", 443, false},
		{"tcp", "::1", 8000, true},
		{"tcp", "[::1]", 8000, true},
	} {
		if got := a.AllowedEndpoint(tc.scheme, tc.host, tc.port); got != tc.want {
			t.Errorf("AllowedEndpoint(%s, %s, %d) = %v, want %v", tc.scheme, tc.host, tc.port, got, tc.want)
		}
	}
	for name, want := range map[string]bool{"localhost": true, "x.example.test": true, "127.0.0.1": true, "other.test": false, "192.0.2.1": false} {
		if got := a.AllowsHostLookup("tcp", name); got != want {
			t.Errorf("AllowsHostLookup(tcp, %s) = %v, want %v", name, got, want)
		}
	}
}

func TestAllowedEndpointOtherLists(t *testing.T) {
	var none *AllowedHosts
	all, _ := ParseAllowedOutboundHosts([]string{"insecure:allow-all"})
	v1, _ := ParseAllowedHTTPHosts([]string{"insecure:allow-all"})
	if none.AllowedEndpoint("tcp", "127.0.0.1", 1) || none.AllowsHostLookup("tcp", "localhost") {
		t.Error("a nil list allows sockets")
	}
	if !all.AllowedEndpoint("tcp", "192.0.2.9", 9) || !all.AllowsHostLookup("tcp", "any.test") {
		t.Error("insecure:allow-all does not allow sockets")
	}
	if v1.AllowedEndpoint("tcp", "127.0.0.1", 1) {
		t.Error("allowed_http_hosts allows sockets")
	}
}
