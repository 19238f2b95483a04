// Package buildpb holds the Go code generated from build/protos: the
// messages and the gRPC service of tvix.build.v1, with govix's
// extensions. Code outside the gRPC layer uses the build package's own
// types, which convert to and from these.
package buildpb

//go:generate sh -c "cd ../.. && protoc -I . --go_out=. --go_opt=module=github.com/govix/govix --go-grpc_out=. --go-grpc_opt=module=github.com/govix/govix --plugin=protoc-gen-go=$(go tool -n protoc-gen-go) --plugin=protoc-gen-go-grpc=$(go tool -n protoc-gen-go-grpc) build/protos/build.proto build/protos/rpc_build.proto"
