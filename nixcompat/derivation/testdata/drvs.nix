# Derivations of every shape, for comparing govix's derivation code with
# Nix 2.8. Instantiate with the ca-derivations and impure-derivations
# experimental features; the attribute names are the test cases.
let
  system = "x86_64-linux";
  builder = "/bin/sh";
  mk = attrs: derivation ({ inherit system builder; } // attrs);
  # Two fixed-output derivations with the same name and hash but different
  # builders: the same output path, so the same hash modulo.
  fixedA = mk { name = "fixed"; args = [ "-c" "a" ]; outputHash = "sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="; };
  fixedB = mk { name = "fixed"; args = [ "-c" "b" ]; outputHash = "sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="; };
  fixedFlat = algo: hash: mk { name = "flat-${algo}"; outputHashAlgo = algo; outputHash = hash; };
  fixedRec = algo: hash: mk { name = "rec-${algo}"; outputHashAlgo = algo; outputHashMode = "recursive"; outputHash = hash; };
  multi = mk {
    name = "multi";
    outputs = [ "out" "dev" "lib" "bin" ];
    deps = [ fixedA fixedB fixedA.out ];
  };
  src = builtins.toFile "src.txt" "source\n";
  ca = mk { name = "floating"; __contentAddressed = true; outputHashMode = "recursive"; outputHashAlgo = "sha256"; };
  caMulti = mk { name = "floating-multi"; __contentAddressed = true; outputs = [ "out" "doc" ]; };
  impure = mk { name = "impure"; __impure = true; };
in {
  inherit fixedA fixedB multi ca caMulti impure;
  flatMd5 = fixedFlat "md5" "d41d8cd98f00b204e9800998ecf8427e";
  flatSha1 = fixedFlat "sha1" "da39a3ee5e6b4b0d3255bfef95601890afd80709";
  flatSha512 = fixedFlat "sha512" "sha512-z4PhNX7vuL3xVChQ1m2AB9Yg5AULVxXcg/SpIdNs6c5H0NE8XYXysP+DGNKHfuwvY7kxvUdBeoGlODJ6+SfaPg==";
  recMd5 = fixedRec "md5" "1B2M2Y8AsgTpgAmY7PhCfg==";
  recSha1 = fixedRec "sha1" "3da541559918a808c2402bba5012f6c60b27661c";
  recSha256 = fixedRec "sha256" "0mdqa9w1p6cmli6976v4wi0sw9r4p5prkj7lzfd1877wk11c9c73";
  emptyHash = mk { name = "empty-hash"; outputHashAlgo = "sha256"; outputHash = ""; };
  escapes = mk {
    name = "escapes";
    args = [ "tab\there" "new\nline" "cr\rhere" "\"quoted\"" "back\\slash" "dollar\${x}" "" ];
    weird = "all of them: \t \n \r \" \\ and unicode: héllo ☃";
    control = builtins.fromJSON ''"bell\u0007 nul-free \u0001\u001f del\u007f"'';
    "key with spaces" = "v";
    "" = "empty name";
    inherit src;
    srcs = [ src ./drvs.nix ];
  };
  structured = mk {
    name = "structured";
    __structuredAttrs = true;
    outputs = [ "out" "dev" ];
    nested = { list = [ 1 2.5 "three" null true ]; set.deep = "x\ny"; };
    dep = multi.dev;
  };
  dependsOnFloating = mk { name = "depends-on-floating"; inherit ca; };
  dependsOnAll = mk {
    name = "depends-on-all";
    outputs = [ "out" "man" ];
    inputs = [ multi.bin multi.lib fixedA fixedB (fixedRec "sha1" "3da541559918a808c2402bba5012f6c60b27661c") ];
  };
}
