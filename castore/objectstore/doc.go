// Package objectstore is a castore backend on object storage (S3 and
// S3-compatible servers such as Ceph, SeaweedFS, MinIO, Garage or versitygw,
// or a plain directory) through gocloud.dev/blob: the way for many machines
// to share one store.
//
// # Layout
//
// Every object is immutable and named by a BLAKE3 digest (lower-case hex,
// under a fan-out directory of its first four digits that spreads keys over
// an object store's partitions):
//
//	govix-castore-format          the layout version, written once
//	chunks/b3/HHHH/HEX            a chunk's bytes, zstd-compressed
//	blobs/b3/HHHH/HEX             the chunk index of a blob of more than one
//	                              chunk (a tvix.castore.v1 StatBlobResponse)
//	dirs/b3/HHHH/HEX              a Directory's canonical encoding
//
// A blob of one chunk (every blob of up to 64 KiB, and most up to 1 MiB) is
// just that chunk. Chunks and chunk indexes are laid out as Tvix's object
// store lays them out, so each can read the other's blobs (Tvix also writes
// an index for a blob of one chunk, which this package reads and does not
// need). Directories differ: Tvix stores a closure as one object under its
// root, which cannot serve a subdirectory on its own.
//
// # Many writers, crashes
//
// Nothing is ever overwritten with different bytes, so writes need no
// coordination: two machines putting the same blob write the same objects,
// and whichever write lands last changes nothing. Object stores make an
// object appear whole or not at all, and the order of writes keeps every
// visible object's references valid: a blob's chunks are written before its
// index, and a directory only after every directory below it. A crash leaves
// at worst unreferenced objects (and, in a directory, *.tmp files that
// nothing reads); re-running the import finishes the job. TestKilledImport
// kills imports with SIGKILL and checks exactly that.
// Nothing on the hot path lists the bucket: every lookup is by key.
//
// # Small objects
//
// Each directory and each small file is its own object, so a tree of many
// small files costs a request per file. The alternative, packing many small
// objects into one, needs an index mapping digests to packs that every
// machine can read and update: listing, or a coordination service, on the
// hot path; this package does without. It keeps the request count down
// instead: existing directories are found top-down (a stored directory
// implies its whole closure, so re-importing a tree costs one request for
// its directories), a chunk is written only when asking finds it missing,
// and requests run in parallel, up to a bound per store.
//
// # Reading
//
// Everything read is verified: chunks against their digests before any byte
// is handed out, blobs read through against their own digest, directories
// against theirs, and closures against the sizes their parents claim.
// Directory closures are fetched a level at a time, in parallel.
package objectstore
