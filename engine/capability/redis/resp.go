package redis

import (
	"bytes"
	"errors"
	"fmt"
	"strconv"
)

// replyError is an error reply of the server.
type replyError string

func (e replyError) Error() string { return string(e) }

// RedisError marks it as a server reply (go-redis' Error interface).
func (replyError) RedisError() {}

// parseReply appends the values of the RESP2 reply at the start of raw to
// out, flattening arrays, and returns the bytes after it.
func parseReply(raw []byte, out *[]Result) ([]byte, error) {
	line, rest, ok := bytes.Cut(raw, []byte("\r\n"))
	if !ok || len(line) == 0 {
		return nil, errors.New("truncated reply")
	}
	body := string(line[1:])
	switch line[0] {
	case '+':
		*out = append(*out, Result{Kind: ResultStatus, Status: body})
		return rest, nil
	case '-':
		return nil, replyError(body)
	case ':':
		n, err := strconv.ParseInt(body, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("invalid integer reply %q", body)
		}
		*out = append(*out, Result{Kind: ResultInt64, Int64: n})
		return rest, nil
	case '$':
		n, err := strconv.Atoi(body)
		switch {
		case err != nil || n < -1:
			return nil, fmt.Errorf("invalid bulk string length %q", body)
		case n == -1:
			*out = append(*out, Result{Kind: ResultNil})
			return rest, nil
		case len(rest) < n+2:
			return nil, errors.New("truncated bulk string")
		}
		*out = append(*out, Result{Kind: ResultBinary, Binary: bytes.Clone(rest[:n])})
		return rest[n+2:], nil
	case '*':
		n, err := strconv.Atoi(body)
		switch {
		case err != nil || n < -1:
			return nil, fmt.Errorf("invalid array length %q", body)
		case n == -1:
			*out = append(*out, Result{Kind: ResultNil})
			return rest, nil
		}
		for range n {
			if rest, err = parseReply(rest, out); err != nil {
				return nil, err
			}
		}
		return rest, nil
	}
	return nil, fmt.Errorf("unsupported reply type %q", line[0])
}
