package network

import (
	"net/url"
	"testing"
)

func TestAllowedHTTPHostsV1(t *testing.T) {
	a, err := ParseAllowedHTTPHosts([]string{"example.com", "api.example.com:8080", "https://secure.example.com", "http://Upper.Example.com:443"})
	if err != nil {
		t.Fatal(err)
	}
	for raw, want := range map[string]bool{
		"http://example.com/x":          true,
		"https://example.com/x":         true, // v1 ignores the scheme of entries
		"https://example.com:443/":      true, // default port = no port
		"http://example.com:8080/":      false,
		"http://api.example.com:8080/":  true,
		"http://api.example.com/":       false,
		"https://secure.example.com/":   true,
		"http://upper.example.com:443/": true,
		"http://upper.example.com/":     false,
		"http://other.com/":             false,
		"ftp://example.com/":            false,
	} {
		u, _ := url.Parse(raw)
		if got := a.AllowedURL(u); got != want {
			t.Errorf("AllowedURL(%s) = %v, want %v", raw, got, want)
		}
	}
	var none *AllowedHosts
	if none.AllowedURL(&url.URL{Scheme: "http", Host: "example.com"}) {
		t.Error("a nil list allows")
	}
}

func TestAllowedOutboundHostsV2(t *testing.T) {
	a, err := ParseAllowedOutboundHosts([]string{
		"https://example.com", "http://localhost:3000", "*://any.example.com:*", "https://*.wild.com",
		"http://ranged.com:8000..8010", "redis://cache:6379", "http://self",
	})
	if err != nil {
		t.Fatal(err)
	}
	if !a.self {
		t.Error("http://self not recognised")
	}
	for raw, want := range map[string]bool{
		"https://example.com/":      true,
		"https://example.com:443/":  true,
		"http://example.com/":       false,
		"https://example.com:8443/": false,
		"http://localhost:3000/x":   true,
		"http://localhost/":         false,
		"http://any.example.com:1/": true,
		"https://any.example.com/":  true,
		"https://a.wild.com/":       true,
		"https://wild.com/":         false,
		"http://ranged.com:8005/":   true,
		"http://ranged.com:8011/":   false,
		"http://cache:6379/":        false,
	} {
		u, _ := url.Parse(raw)
		if got := a.AllowedURL(u); got != want {
			t.Errorf("AllowedURL(%s) = %v, want %v", raw, got, want)
		}
	}
}

func TestAllowsSelf(t *testing.T) {
	for _, tc := range []struct {
		v2      bool
		entries []string
		want    bool
	}{
		{false, []string{"self"}, true},
		{false, []string{"insecure:allow-all"}, true},
		{false, []string{"example.com"}, false},
		{true, []string{"http://self"}, true},
		{true, []string{"*://self:*"}, true},
		{true, []string{"https://self"}, false},
		{true, []string{"insecure:allow-all"}, true},
	} {
		parse := ParseAllowedHTTPHosts
		if tc.v2 {
			parse = ParseAllowedOutboundHosts
		}
		a, err := parse(tc.entries)
		if err != nil {
			t.Fatal(err)
		}
		if got := a.AllowsSelf(); got != tc.want {
			t.Errorf("%q (v2 %v): AllowsSelf = %v, want %v", tc.entries, tc.v2, got, tc.want)
		}
	}
	var none *AllowedHosts
	if none.AllowsSelf() {
		t.Error("a nil list allows self")
	}
}

func TestAllowedEndpoint(t *testing.T) {
	v2, err := ParseAllowedOutboundHosts([]string{"postgres://db.example.com", "mysql://127.0.0.1:3300..3310", "*://any.example.com:*", "https://web.example.com"})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		scheme, host string
		port         int
		want         bool
	}{
		{"postgres", "db.example.com", 5432, true}, // postgres' default port
		{"postgres", "DB.example.com", 5432, true},
		{"postgres", "db.example.com", 5433, false},
		{"mysql", "db.example.com", 3306, false},
		{"mysql", "127.0.0.1", 3305, true},
		{"mysql", "127.0.0.1", 3311, false},
		{"redis", "any.example.com", 1, true},
		{"postgres", "web.example.com", 443, false},
	} {
		if got := v2.AllowedEndpoint(c.scheme, c.host, c.port); got != c.want {
			t.Errorf("%s://%s:%d allowed = %v, want %v", c.scheme, c.host, c.port, got, c.want)
		}
	}
	v1, err := ParseAllowedHTTPHosts([]string{"example.com"})
	if err != nil {
		t.Fatal(err)
	}
	if !v1.AllowedEndpoint("postgres", "db", 5432) || !v1.AllowedEndpoint("mysql", "db", 3306) || v1.AllowedEndpoint("tcp", "db", 1) {
		t.Error("a Spin 1.x list allows every postgres, mysql and redis destination, nothing else")
	}
	var none *AllowedHosts
	if none.AllowedEndpoint("postgres", "db", 5432) {
		t.Error("a nil list allowed an endpoint")
	}
}
