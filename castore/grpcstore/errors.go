package grpcstore

import (
	"context"
	"errors"
	"fmt"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/govix/govix/castore"
)

// statusError turns an error of a castore service into a gRPC status error
// whose code tells the client what kind of failure it was; the message says
// what (prefixed by what, when what is not empty).
func statusError(what string, err error) error {
	if err == nil {
		return nil
	}
	if _, ok := status.FromError(err); ok && !isCastoreError(err) {
		return err // already a status (from a nested client, say)
	}
	code := CodeOf(err, statusCodes)
	msg := err.Error()
	if what != "" {
		msg = what + ": " + msg
	}
	return status.Error(code, msg)
}

func isCastoreError(err error) bool {
	return errors.Is(err, castore.ErrInvalid) || errors.Is(err, castore.ErrNotFound) || errors.Is(err, castore.ErrCorrupt)
}

// errTooLarge marks requests that go over a server limit.
var errTooLarge = errors.New("over the server's limit")

// ErrorCode pairs a kind of error (a sentinel tested with errors.Is) with
// the gRPC status code that stands for it on the wire. Servers of services
// built on the castore's (the store's PathInfoService) map their errors
// with a table of them and CodeOf, their clients back with ErrorOf.
type ErrorCode struct {
	Err  error
	Code codes.Code
}

// castoreCodes returns the castore's kinds of error and the context errors
// with their codes, in the order a server tests them.
func castoreCodes() []ErrorCode {
	return []ErrorCode{
		{castore.ErrInvalid, codes.InvalidArgument},
		{castore.ErrNotFound, codes.NotFound},
		{castore.ErrCorrupt, codes.DataLoss},
		{context.Canceled, codes.Canceled},
		{context.DeadlineExceeded, codes.DeadlineExceeded},
	}
}

var (
	// wireErrors are the kinds of error a client recognises in a status.
	wireErrors = castoreCodes()
	// statusCodes are those a server sends: the client learns of
	// errTooLarge only by its code.
	statusCodes = append(castoreCodes(), ErrorCode{errTooLarge, codes.ResourceExhausted})
)

// CodeOf returns the code of the first of table whose Err err wraps, or
// codes.Internal.
func CodeOf(err error, table []ErrorCode) codes.Code {
	for _, ec := range table {
		if errors.Is(err, ec.Err) {
			return ec.Code
		}
	}
	return codes.Internal
}

// ErrorOf returns the Err of the first of table with code c, or nil.
func ErrorOf(c codes.Code, table []ErrorCode) error {
	for _, ec := range table {
		if ec.Code == c {
			return ec.Err
		}
	}
	return nil
}

// RemoteError is an error status received from a castore server. It wraps
// the castore error its code stands for (castore.ErrNotFound for NotFound,
// castore.ErrInvalid for InvalidArgument, castore.ErrCorrupt for DataLoss,
// context.Canceled and context.DeadlineExceeded), so callers test it with
// errors.Is as they would a local backend's errors, and it carries the
// status for status.FromError.
type RemoteError struct {
	Status *status.Status
	kind   error
}

func (e *RemoteError) Error() string {
	return fmt.Sprintf("castore server: %s: %s", e.Status.Code(), e.Status.Message())
}

// Unwrap returns the castore error the status code stands for, if any.
func (e *RemoteError) Unwrap() error { return e.kind }

// GRPCStatus lets status.FromError and status.Code see the original status.
func (e *RemoteError) GRPCStatus() *status.Status { return e.Status }

// fromStatus converts an error returned by a gRPC call into a RemoteError
// (or returns it unchanged when it is not a status).
func fromStatus(err error) error {
	if err == nil {
		return nil
	}
	st, ok := status.FromError(err)
	if !ok {
		return err
	}
	kind := ErrorOf(st.Code(), wireErrors)
	return &RemoteError{Status: st, kind: kind}
}

// corruptf reports a server that sent something that cannot be right.
func corruptf(format string, args ...any) error {
	return fmt.Errorf("castore server: %w: %s", castore.ErrCorrupt, fmt.Sprintf(format, args...))
}
