package wagi

import (
	"bytes"
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/spinoci/spinoci/engine/inbound"
	"github.com/spinoci/spinoci/engine/internal/httpheader"
)

// Messages of WAGI response errors (Spin's wagi compose_response).
const (
	errWagiNoOutput   = "configured to use the WAGI executor but did not write to stdout"
	errWagiNoRequired = "Exactly one of 'location' or 'content-type' must be specified"
)

// parseCGI turns a WAGI module's stdout into a response:
// the header block ends at the first blank line (CR ignored, so LF and CRLF
// both work); Content-Type, Status or Location make it sufficient; Location
// implies 302 unless Status is given; an unparsable Status gives 502.
func parseCGI(out []byte) (*inbound.Response, error) {
	if len(out) == 0 {
		return nil, errors.New(errWagiNoOutput)
	}
	head, body := splitCGI(out)
	resp := &inbound.Response{Status: http.StatusOK, Body: body}
	sufficient, hasStatus, hasLocation, badStatus := false, false, false, false
	for _, line := range head {
		name, value, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		name, value = strings.TrimSpace(name), strings.TrimSpace(value)
		switch strings.ToLower(name) {
		case "content-type":
			sufficient = true
			resp.Headers = append(resp.Headers, [2]string{"Content-Type", value})
		case "status":
			sufficient, hasStatus = true, true
			code, _, _ := strings.Cut(value, " ")
			n, err := strconv.Atoi(code)
			if err != nil || n < 100 || n > 599 {
				badStatus = true
			} else {
				resp.Status = n
			}
		case "location":
			sufficient, hasLocation = true, true
			resp.Headers = append(resp.Headers, [2]string{"Location", value})
		default:
			if httpheader.ValidName(name) && httpheader.ValidValue(value) {
				resp.Headers = append(resp.Headers, [2]string{name, value})
			}
		}
	}
	if !sufficient {
		//lint:ignore ST1005 Spin's exact wording
		return nil, errors.New(errWagiNoRequired)
	}
	if badStatus {
		return &inbound.Response{Status: http.StatusBadGateway}, nil
	}
	if hasLocation && !hasStatus {
		resp.Status = http.StatusFound
	}
	return resp, nil
}

// splitCGI splits CGI output into header lines (CRs removed) and the body
// that follows the first blank line. Without a blank line everything is
// header and the body is empty.
func splitCGI(out []byte) (head []string, body []byte) {
	rest := out
	for {
		i := bytes.IndexByte(rest, '\n')
		if i < 0 {
			if line := strings.ReplaceAll(string(rest), "\r", ""); line != "" {
				head = append(head, line)
			}
			return head, nil
		}
		line := strings.ReplaceAll(string(rest[:i]), "\r", "")
		rest = rest[i+1:]
		if line == "" {
			return head, rest
		}
		head = append(head, line)
	}
}
