package lock

import (
	"bytes"
	"testing"
)

func TestDecodeInline(t *testing.T) {
	tests := []struct {
		in      string
		want    []byte
		wantErr bool
	}{
		{in: "", want: []byte{}},
		{in: "aGk", want: []byte("hi")},        // spec example
		{in: "aGVsbG8", want: []byte("hello")}, // 5 bytes, 2 trailing chars
		{in: "+/8", want: []byte{0xfb, 0xff}},  // standard alphabet
		{in: "aGk=", wantErr: true},            // padding rejected
		{in: "aGVsbG8=", wantErr: true},        // padding rejected
		{in: "-_8", wantErr: true},             // URL alphabet rejected
		{in: "aGl", wantErr: true},             // non-zero trailing bits (strict)
		{in: "a", wantErr: true},               // impossible length
		{in: "aG k", wantErr: true},            // whitespace
		{in: "aGk\n", wantErr: true},           // newline (Go would skip it)
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := DecodeInline(tt.in)
			if tt.wantErr {
				if err == nil {
					t.Fatalf("DecodeInline(%q) = %q, want error", tt.in, got)
				}
				return
			}
			if err != nil || !bytes.Equal(got, tt.want) {
				t.Fatalf("DecodeInline(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
			}
			if got == nil {
				t.Errorf("DecodeInline(%q) = nil, want non-nil (empty file)", tt.in)
			}
			if enc := EncodeInline(tt.want); enc != tt.in {
				t.Errorf("EncodeInline(%q) = %q, want %q", tt.want, enc, tt.in)
			}
		})
	}
}
