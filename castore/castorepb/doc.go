// Package castorepb holds the Go code generated from castore/protos: the
// messages and gRPC services of tvix.castore.v1. Code outside the gRPC layer
// uses the castore package's own types, which convert to and from these.
package castorepb

//go:generate sh -c "cd ../.. && protoc -I . --go_out=. --go_opt=module=github.com/govix/govix --go-grpc_out=. --go-grpc_opt=module=github.com/govix/govix --plugin=protoc-gen-go=$(go tool -n protoc-gen-go) --plugin=protoc-gen-go-grpc=$(go tool -n protoc-gen-go-grpc) castore/protos/castore.proto castore/protos/rpc_blobstore.proto castore/protos/rpc_directory.proto castore/protos/govix_ext.proto"
