// Package build is govix's builder: the build protocol (wire-compatible
// with Tvix's tvix.build.v1) and the pieces that turn derivations into
// store outputs by running their builders in a sandbox.
//
// This package holds the protocol's Go types and the Service interface a
// builder implements:
//
//   - a Request says what to run: inputs as castore nodes placed under an
//     inputs directory, the command, its environment and working
//     directory, writable scratch directories, extra files, the outputs to
//     collect, constraints on the host and the strings to scan the outputs
//     for (the reference-scan needles);
//   - a Result gives the outputs as castore nodes, which needles each
//     contains and, beyond Tvix, every attempt's resource use;
//   - a failed build is a *FailedError carrying the attempts, with exit
//     status, signal and log tail.
//
// A request knows nothing of Nix. The subpackages do the rest, from the
// bottom up:
//
//   - build/sandbox runs one command in an OCI container with runc;
//   - build/refscan finds store path hashes in a byte stream;
//   - build/oci implements Service on the sandbox: materialises inputs
//     from the castore, runs the command, ingests and scans the outputs;
//   - build/grpcbuild serves a Service over gRPC and is a client of one;
//   - build/nixbuild turns a derivation into a Request exactly as Nix
//     sets up a build, and a Result into registered store paths;
//   - build/graph builds a graph of derivations in dependency order, in
//     parallel, substituting and skipping what exists, with logs.
package build
