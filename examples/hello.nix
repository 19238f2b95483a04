# The README's main job: `go run ./cmd/govix eval examples/hello.nix`.
# Evaluating it writes hello's .drv into govix's embedded store and prints
# the same paths `nix-instantiate --eval --strict` prints for this file.
let
  hello = derivation {
    name = "hello";
    system = builtins.currentSystem;
    builder = "/bin/sh";
    args = [ "-c" "echo Hello, world > $out" ];
  };
  squares = builtins.genList (i: i * i) 10;
in
{
  inherit (hello) drvPath outPath;
  sumOfSquares = builtins.foldl' builtins.add 0 squares;
  greeting = "Hello from ${hello.name}, ${toString (builtins.length squares)} squares";
}
