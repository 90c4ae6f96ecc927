package wagi

import (
	"reflect"
	"testing"

	"github.com/spinoci/spinoci/engine/inbound"
	"github.com/spinoci/spinoci/lock"
)

func TestParseCGI(t *testing.T) {
	for _, tc := range []struct {
		name, out string
		want      *inbound.Response
		err       string
	}{
		{"LF", "Content-Type: text/plain\n\nhello\n",
			&inbound.Response{Status: 200, Headers: [][2]string{{"Content-Type", "text/plain"}}, Body: []byte("hello\n")}, ""},
		{"CRLF", "Content-Type: text/plain\r\nX-A:  b \r\n\r\nhello\r\n",
			&inbound.Response{Status: 200, Headers: [][2]string{{"Content-Type", "text/plain"}, {"X-A", "b"}}, Body: []byte("hello\r\n")}, ""},
		{"lowercase status", "status: 404 Not Found\n\n",
			&inbound.Response{Status: 404, Headers: nil, Body: []byte{}}, ""},
		{"status and content-type", "Content-Type: a/b\nStatus: 201\n\nx",
			&inbound.Response{Status: 201, Headers: [][2]string{{"Content-Type", "a/b"}}, Body: []byte("x")}, ""},
		{"location implies 302", "Location: /x\n\n",
			&inbound.Response{Status: 302, Headers: [][2]string{{"Location", "/x"}}, Body: []byte{}}, ""},
		{"location with status", "location: /x\nstatus: 307\n\n",
			&inbound.Response{Status: 307, Headers: [][2]string{{"Location", "/x"}}, Body: []byte{}}, ""},
		{"value with colon", "Content-Type: text/plain\nX-Url: http://a:1/\n\n",
			&inbound.Response{Status: 200, Headers: [][2]string{{"Content-Type", "text/plain"}, {"X-Url", "http://a:1/"}}, Body: []byte{}}, ""},
		{"no blank line", "Content-Type: text/plain\n",
			&inbound.Response{Status: 200, Headers: [][2]string{{"Content-Type", "text/plain"}}, Body: nil}, ""},
		{"body keeps blank lines", "Content-Type: t/p\n\na\n\nb",
			&inbound.Response{Status: 200, Headers: [][2]string{{"Content-Type", "t/p"}}, Body: []byte("a\n\nb")}, ""},
		{"unparsable status", "Status: teapot\nContent-Type: t/p\n\nx", &inbound.Response{Status: 502}, ""},
		{"status out of range", "Status: 1000\n\n", &inbound.Response{Status: 502}, ""},
		{"invalid header dropped", "Content-Type: t/p\nBad Name: x\nno colon\n\n",
			&inbound.Response{Status: 200, Headers: [][2]string{{"Content-Type", "t/p"}}, Body: []byte{}}, ""},
		{"none of the required", "X-A: b\n\nbody", nil, errWagiNoRequired},
		{"blank first line", "\nContent-Type: t/p\n", nil, errWagiNoRequired},
		{"empty", "", nil, errWagiNoOutput},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parseCGI([]byte(tc.out))
			if tc.err != "" {
				if err == nil || err.Error() != tc.err {
					t.Fatalf("err %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("got %+v, want %+v", got, tc.want)
			}
		})
	}
}

func TestWagiArgv(t *testing.T) {
	for _, tc := range []struct {
		template, path, query string
		want                  []string
	}{
		{lock.DefaultWagiArgv, "/app/run", "a=1&b=2", []string{"/app/run", "a=1", "b=2"}},
		{lock.DefaultWagiArgv, "/app/run", "", []string{"/app/run", ""}},
		{"x ${ARGS} y", "/p", "q", []string{"x", "q", "y"}},
	} {
		got := expandArgv(tc.template, &inbound.Request{Path: tc.path, Query: tc.query})
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%q %q %q: %q, want %q", tc.template, tc.path, tc.query, got, tc.want)
		}
	}
}
