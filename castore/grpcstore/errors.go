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
	code := codes.Internal
	switch {
	case errors.Is(err, castore.ErrInvalid):
		code = codes.InvalidArgument
	case errors.Is(err, castore.ErrNotFound):
		code = codes.NotFound
	case errors.Is(err, castore.ErrCorrupt):
		code = codes.DataLoss
	case errors.Is(err, context.Canceled):
		code = codes.Canceled
	case errors.Is(err, context.DeadlineExceeded):
		code = codes.DeadlineExceeded
	case errors.Is(err, errTooLarge):
		code = codes.ResourceExhausted
	}
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
	var kind error
	switch st.Code() {
	case codes.NotFound:
		kind = castore.ErrNotFound
	case codes.InvalidArgument:
		kind = castore.ErrInvalid
	case codes.DataLoss:
		kind = castore.ErrCorrupt
	case codes.Canceled:
		kind = context.Canceled
	case codes.DeadlineExceeded:
		kind = context.DeadlineExceeded
	}
	return &RemoteError{Status: st, kind: kind}
}

// corruptf reports a server that sent something that cannot be right.
func corruptf(format string, args ...any) error {
	return fmt.Errorf("castore server: %w: %s", castore.ErrCorrupt, fmt.Sprintf(format, args...))
}
