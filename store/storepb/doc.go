// Package storepb holds the Go code generated from store/protos: the
// messages and gRPC service of tvix.store.v1. Code outside the gRPC layer
// uses the store package's own PathInfo, which converts to and from these.
package storepb

//go:generate sh -c "cd ../.. && protoc -I . --go_out=. --go_opt=module=github.com/govix/govix --go-grpc_out=. --go-grpc_opt=module=github.com/govix/govix --plugin=protoc-gen-go=$(go tool -n protoc-gen-go) --plugin=protoc-gen-go-grpc=$(go tool -n protoc-gen-go-grpc) store/protos/pathinfo.proto store/protos/rpc_pathinfo.proto"
