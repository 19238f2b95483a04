// Package store turns castore into a Nix store: a store path is a castore
// root node plus a PathInfo (references, NAR size and sha256, signatures,
// deriver, content address), wire-compatible with Tvix's tvix.store.v1.
//
// The package holds the data model ([PathInfo]), the [PathInfoService]
// interface every backend implements, and the two conversions between
// castore trees and Nix archives: [IngestNAR] reads a NAR into a castore,
// streaming and verifying its sha256 and size as it goes, and [NewNARReader]
// renders a castore tree as a NAR, byte-identical to Nix's, seekable so that
// a byte range costs only the blobs it covers.
//
// [CopyPaths] copies paths with their closures between any two stores,
// sending only what the destination lacks: it walks each tree from the
// root, asking the destination a level at a time which directories it
// holds (a held directory implies everything below it), then which of the
// remaining files' blobs it holds, in one call where the destination can
// answer one (a govix gRPC server can, see castore/grpcstore). Against a
// govix server a new version of a large path costs about its changed
// bytes.
//
// Backends live in subpackages (memory, local, grpcstore, objectstore,
// nixcache, cache) and are opened together with their castore by URL with
// store/backend.Open. store/pathinfotest is the conformance suite they all
// pass; store/narbridge serves a store to Nix as an HTTP binary cache.
package store
