package h2rpc

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Code is a gRPC status code (grpc/codes), numbered as on the wire.
type Code uint32

// The codes this client produces or callers test for; any other number a
// server sends is kept as is.
const (
	OK                Code = 0
	Canceled          Code = 1
	Unknown           Code = 2
	DeadlineExceeded  Code = 4
	NotFound          Code = 5
	PermissionDenied  Code = 7
	ResourceExhausted Code = 8
	Unimplemented     Code = 12
	Internal          Code = 13
	Unavailable       Code = 14
	Unauthenticated   Code = 16
)

var codeNames = []string{"OK", "Canceled", "Unknown", "InvalidArgument", "DeadlineExceeded", "NotFound",
	"AlreadyExists", "PermissionDenied", "ResourceExhausted", "FailedPrecondition", "Aborted",
	"OutOfRange", "Unimplemented", "Internal", "Unavailable", "DataLoss", "Unauthenticated"}

func (c Code) String() string {
	if int(c) < len(codeNames) {
		return codeNames[c]
	}
	return "Code(" + strconv.FormatUint(uint64(c), 10) + ")"
}

// Status is a failed call: the server's grpc-status and grpc-message, or the
// code this client gives a transport failure (Unavailable, DeadlineExceeded,
// Internal...), with the underlying error when there is one.
type Status struct {
	Code    Code
	Message string
	cause   error
}

func (s *Status) Error() string {
	return fmt.Sprintf("rpc error: code = %s desc = %s", s.Code, s.Message)
}

// Unwrap exposes the transport error, e.g. context.DeadlineExceeded.
func (s *Status) Unwrap() error { return s.cause }

// CodeOf is err's gRPC code: OK for nil, Unknown for an error that carries none.
func CodeOf(err error) Code {
	if err == nil {
		return OK
	}
	var s *Status
	if errors.As(err, &s) {
		return s.Code
	}
	return Unknown
}

func statusf(code Code, cause error, format string, args ...any) *Status {
	return &Status{Code: code, Message: fmt.Sprintf(format, args...), cause: cause}
}

// codeFromHTTP maps a non-200 :status the way gRPC's HTTP-to-gRPC status
// mapping does, for proxies and non-gRPC servers answering on the socket.
func codeFromHTTP(status int) Code {
	switch status {
	case 400:
		return Internal
	case 401:
		return Unauthenticated
	case 403:
		return PermissionDenied
	case 404:
		return Unimplemented
	case 429, 502, 503, 504:
		return Unavailable
	}
	return Unknown
}

// percentDecode undoes grpc-message's percent-encoding ("%XX" for bytes
// outside printable ASCII and for '%'). A malformed escape is kept literally,
// as the gRPC spec asks.
func percentDecode(s string) string {
	if !strings.Contains(s, "%") {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '%' && i+2 < len(s) {
			if v, err := strconv.ParseUint(s[i+1:i+3], 16, 8); err == nil {
				b.WriteByte(byte(v))
				i += 2
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}
