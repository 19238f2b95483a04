// Package fuse serves a castore tree as a read-only FUSE file system
// (Linux, through hanwen/go-fuse's raw protocol API).
//
// What is mounted is a [Root]: either one castore node (a directory appears
// at the mount point; a file can be mounted on a regular file) or a
// directory whose entries come lazily from a [RootLister], which is how the
// store's /nix/store view is built without listing every store path.
//
// Everything below the root is immutable and named by digest, which shapes
// the design:
//
//   - Inodes are shared by identical nodes: two files with the same
//     contents and exec bit, two identical directories or two symlinks with
//     the same target are one inode (one FUSE node id, one page cache) while
//     the kernel holds it. Their st_ino is derived from the node's identity,
//     so it is the same every time it is looked up, in this mount and the
//     next. Files and symlinks report st_nlink 1, so tar, cp -a and rsync -H
//     do not mistake shared inodes for hard links.
//   - The kernel may cache everything for long: entries, negative entries,
//     attributes, file contents across opens (FOPEN_KEEP_CACHE) and
//     directory listings (FOPEN_CACHE_DIR).
//   - Opening and closing a file costs nothing (the kernel is told it need
//     not even ask). Blob readers belong to the inode: a read continues with
//     the reader left where it starts, so a sequential read streams through
//     one open blob, and a read elsewhere seeks, which for a chunked blob
//     loads only the chunks the range covers.
//   - Once a file handed out by a directory listing is read, the other small
//     files of that listing are pushed into the page cache in the
//     background, so that tar or cp -r do not wait for one round trip per
//     file; once the reader also lists a subdirectory there, the rest of
//     the subtree is listed ahead of it, through the mount, with the small
//     files of every directory listed pushed too (prefetch.go, walk.go).
//     Listing alone reads no contents.
//
// Backend failures (a missing or corrupt blob, an unreachable server) reach
// the reader as EIO, with a line in the log naming the digest; they never
// crash the server.
package fuse
