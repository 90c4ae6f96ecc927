package engine

import (
	"reflect"
	"testing"

	"github.com/spinoci/spinoci/lock"
)

func TestParseCGI(t *testing.T) {
	for _, tc := range []struct {
		name, out string
		want      *response
		err       string
	}{
		{"LF", "Content-Type: text/plain\n\nhello\n",
			&response{200, [][2]string{{"Content-Type", "text/plain"}}, []byte("hello\n")}, ""},
		{"CRLF", "Content-Type: text/plain\r\nX-A:  b \r\n\r\nhello\r\n",
			&response{200, [][2]string{{"Content-Type", "text/plain"}, {"X-A", "b"}}, []byte("hello\r\n")}, ""},
		{"lowercase status", "status: 404 Not Found\n\n",
			&response{404, nil, []byte{}}, ""},
		{"status and content-type", "Content-Type: a/b\nStatus: 201\n\nx",
			&response{201, [][2]string{{"Content-Type", "a/b"}}, []byte("x")}, ""},
		{"location implies 302", "Location: /x\n\n",
			&response{302, [][2]string{{"Location", "/x"}}, []byte{}}, ""},
		{"location with status", "location: /x\nstatus: 307\n\n",
			&response{307, [][2]string{{"Location", "/x"}}, []byte{}}, ""},
		{"value with colon", "Content-Type: text/plain\nX-Url: http://a:1/\n\n",
			&response{200, [][2]string{{"Content-Type", "text/plain"}, {"X-Url", "http://a:1/"}}, []byte{}}, ""},
		{"no blank line", "Content-Type: text/plain\n",
			&response{200, [][2]string{{"Content-Type", "text/plain"}}, nil}, ""},
		{"body keeps blank lines", "Content-Type: t/p\n\na\n\nb",
			&response{200, [][2]string{{"Content-Type", "t/p"}}, []byte("a\n\nb")}, ""},
		{"unparsable status", "Status: teapot\nContent-Type: t/p\n\nx", &response{status: 502}, ""},
		{"status out of range", "Status: 1000\n\n", &response{status: 502}, ""},
		{"invalid header dropped", "Content-Type: t/p\nBad Name: x\nno colon\n\n",
			&response{200, [][2]string{{"Content-Type", "t/p"}}, []byte{}}, ""},
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
		got := wagiArgv(tc.template, &request{path: tc.path, query: tc.query})
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%q %q %q: %q, want %q", tc.template, tc.path, tc.query, got, tc.want)
		}
	}
}
