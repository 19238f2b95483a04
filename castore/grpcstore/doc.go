// Package grpcstore serves castore's blob and directory services over gRPC
// and connects to such servers, speaking Tvix's tvix.castore.v1 protocol.
//
// The server ([Server]) exposes any [castore.BlobService] and
// [castore.DirectoryService]. It trusts nothing a client sends: every
// Directory is validated on its own and against the closure it arrives in,
// a closure must be complete (every subdirectory sent before its parent, with
// the right size) before any of it is stored, uploads are bounded in size, and
// optionally every file a Directory names must already be stored with the
// size the Directory claims.
//
// The client ([Dial], [NewBlobClient], [NewDirectoryClient]) implements the
// same Go interfaces, so a remote store is used like a local one. It trusts
// nothing the server sends either: blobs are read chunk by chunk against the
// chunk digests the server lists and against the blob's own digest, and
// directories are checked against the digests that name them and against the
// closure they belong to. (A chunk list the server made up from another
// blob's valid chunks passes the chunk checks; a reader going through the
// blob catches it before the last chunk, one reading a range does not. Only
// a BAO, which no server sends yet, would close that gap.)
//
// # Sending only what changed
//
// Beside tvix.castore.v1, the server offers govix.castore.v1's
// CastoreExtService (castore/protos/govix_ext.proto): which of many blobs
// or directories it lacks (MissingBlobs, MissingDirectories), blob sizes
// without reading (StatBlobs), a blob named by chunks it holds (PutChunked,
// checked against the blob's digest before it is visible), and closures
// whose subdirectories it holds already (PutDirectories, the held ones read
// back through the backend's own putter so every rule still applies). It is
// a service of its own, so a Tvix server answers Unimplemented, and the
// client, which asks once per connection, then speaks plain tvix.castore.v1.
// With a govix server the client sends a closure's directories only when
// the server lacks them, and a blob of more than one chunk as the chunks
// the server lacks: a new version of a large tree costs about its changed
// bytes. [Traffic] counts what a connection sent (store copy --stats).
//
// Store URLs: grpc+unix:///path/to.sock, grpc+http://host:port and
// grpc+https://host:port.
package grpcstore
