package engine

import (
	"net/url"
	"testing"
)

func TestAllowedHTTPHostsV1(t *testing.T) {
	a, err := parseAllowedHTTPHosts([]string{"example.com", "api.example.com:8080", "https://secure.example.com", "http://Upper.Example.com:443"})
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
		if got := a.allows(u); got != want {
			t.Errorf("allows(%s) = %v, want %v", raw, got, want)
		}
	}
	var none *allowedHosts
	if none.allows(&url.URL{Scheme: "http", Host: "example.com"}) {
		t.Error("a nil list allows")
	}
}

func TestAllowedOutboundHostsV2(t *testing.T) {
	a, err := parseAllowedOutboundHosts([]string{
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
		if got := a.allows(u); got != want {
			t.Errorf("allows(%s) = %v, want %v", raw, got, want)
		}
	}
}
