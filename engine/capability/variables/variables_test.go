package variables

import (
	"context"
	"errors"
	"strings"
	"testing"
)

func TestExpandTemplate(t *testing.T) {
	vals := map[string]string{"a": "1", "b": "two"}
	for tmpl, want := range map[string]string{
		"":                   "",
		"plain":              "plain",
		"{{a}}":              "1",
		"x{{ a }}y{{  b }}z": "x1ytwoz",
	} {
		if got, err := Expand(tmpl, vals); err != nil || got != want {
			t.Errorf("Expand(%q) = %q, %v; want %q", tmpl, got, err, want)
		}
	}
	for _, bad := range []string{"{{ c }}", "{{ a", "a }}"} {
		if _, err := Expand(bad, vals); err == nil {
			t.Errorf("Expand(%q) succeeded", bad)
		}
	}
}

func TestResolvePrecedence(t *testing.T) {
	def := func(s string) Declaration { return Declaration{Default: &s} }
	env := NewEnvProvider([]string{
		"A=plain", "SPIN_VARIABLE_A=prefixed", "SPIN_CONFIG_A=legacy",
		"SPIN_VARIABLE_B=prefixed", "SPIN_CONFIG_B=legacy",
		"SPIN_CONFIG_C=legacy",
		"D=first", "D=second",
	})
	got, err := Resolve(context.Background(), map[string]Declaration{
		"a": def("default"), "b": def("default"), "c": {}, "d": {}, "e": def("default"),
	}, env)
	if err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]string{"a": "plain", "b": "prefixed", "c": "legacy", "d": "second", "e": "default"} {
		if got[name] != want {
			t.Errorf("%s = %q, want %q", name, got[name], want)
		}
	}
}

func TestResolveErrors(t *testing.T) {
	_, err := Resolve(context.Background(), map[string]Declaration{"api_key": {}}, NewEnvProvider(nil))
	if err == nil || !strings.Contains(err.Error(), `variable "api_key" is required`) || !strings.Contains(err.Error(), "SPIN_VARIABLE_API_KEY") {
		t.Errorf("missing required variable: %v", err)
	}
	_, err = Resolve(context.Background(), map[string]Declaration{"Bad": {}}, NewEnvProvider([]string{"BAD=x"}))
	if !errors.Is(err, ErrInvalidName) {
		t.Errorf("invalid name: %v, want ErrInvalidName", err)
	}
}

func TestCheckName(t *testing.T) {
	for _, ok := range []string{"a", "api_key", "a1_b2"} {
		if err := CheckName(ok); err != nil {
			t.Errorf("CheckName(%q) = %v", ok, err)
		}
	}
	for _, bad := range []string{"", "A", "1a", "_a", "a_", "a__b", "a-b"} {
		if CheckName(bad) == nil {
			t.Errorf("CheckName(%q) succeeded", bad)
		}
	}
}

func TestComponentConfigGet(t *testing.T) {
	c, err := ComponentConfig("comp", map[string]string{"greeting": "Hello, {{ who }}!"}, map[string]string{"who": "world"})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if v, err := c.Get(ctx, "greeting"); err != nil || v != "Hello, world!" {
		t.Errorf("Get(greeting) = %q, %v", v, err)
	}
	_, err = c.Get(ctx, "missing")
	var verr *Error
	if !errors.As(err, &verr) || verr.Kind != ErrUndefined || !errors.Is(err, ErrUndefined) ||
		verr.Detail != `no config value for key "missing" in component "comp"` {
		t.Errorf("Get(missing) = %v, want ErrUndefined naming the key and component", err)
	}
	if _, err := c.Get(ctx, "Bad-Key"); !errors.Is(err, ErrInvalidName) || !strings.HasPrefix(err.Error(), "invalid variable name: ") {
		t.Errorf("Get(Bad-Key) = %v, want ErrInvalidName", err)
	}
	if _, err := ComponentConfig("comp", map[string]string{"k": "{{ nope }}"}, nil); err == nil {
		t.Error("ComponentConfig with an undeclared variable succeeded")
	}
}
