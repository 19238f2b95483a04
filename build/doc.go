// Package build is the home of govix's builder: turning derivations into
// store outputs by running their builders in a sandbox.
//
// The work is split into subpackages from the bottom up:
//
//   - build/sandbox runs one command in an OCI container with runc: declared
//     inputs mounted read-only, writable scratch directories, a private
//     network unless asked otherwise, a log and the resources it used.
//   - build/refscan finds which store path hashes occur in a byte stream,
//     the way Nix discovers an output's references.
//
// Neither knows about derivations or stores; the layers above them do.
package build
