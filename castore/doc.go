// Package castore is govix's content-addressed store of files and
// directories: a Merkle DAG like git's trees, but hashed with BLAKE3 and
// wire- and digest-compatible with Tvix's tvix.castore.v1.
//
// A file is a blob named by the BLAKE3 digest of its contents. A directory is
// a [Directory] (its entries, sorted by name) named by the BLAKE3 digest of
// its canonical protobuf encoding. A [Node] is one entry: a directory, a file
// or a symlink.
//
// Storage is behind two small interfaces, [BlobService] and
// [DirectoryService]; [DirectoryStore] and castore/chunked's Store are the
// raw storage a backend implements to get the rules (closure checking,
// verified reads, content-defined chunking with castore/fastcdc) for free.
// Backends live in subpackages (memory, local, cache, grpcstore,
// objectstore) and are opened by URL with castore/backend.Open;
// castore/castoretest holds the conformance suite every backend passes;
// castore/fsio copies trees in and out of the local file system, and
// castore/fuse mounts them. castore/castorepb is the generated protobuf
// code for the wire.
package castore
