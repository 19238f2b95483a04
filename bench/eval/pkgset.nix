# A miniature nixpkgs: lib helpers written as nixpkgs writes them, a
# package set of 20000 packages built with callPackage (functionArgs,
# intersectAttrs) and a mkDerivation that merges attribute sets, three
# overlays, then filterAttrs over the set and every package's outPath and
# dependencies evaluated.
let
  lib = rec {
    fix = f: let x = f x; in x;
    extends = overlay: f: self: let super = f self; in super // overlay self super;
    composeManyExtensions = builtins.foldl' (f: g: self: super: let fApplied = f self super; super' = super // fApplied; in fApplied // g self super') (self: super: { });
    callPackageWith = autoArgs: fn: args:
      let
        f = if builtins.isFunction fn then fn else import fn;
        fargs = builtins.functionArgs f;
        allArgs = builtins.intersectAttrs fargs autoArgs // args;
      in
      f allArgs;
    filterAttrs = pred: set:
      builtins.listToAttrs (builtins.concatMap (name: let v = set.${name}; in if pred name v then [ { inherit name; value = v; } ] else [ ]) (builtins.attrNames set));
    mapAttrs' = f: set: builtins.listToAttrs (map (attr: f attr set.${attr}) (builtins.attrNames set));
    nameValuePair = name: value: { inherit name value; };
    optionalAttrs = cond: as: if cond then as else { };
    optional = cond: elem: if cond then [ elem ] else [ ];
    concatMapStrings = f: list: builtins.foldl' (acc: x: acc + f x) "" list;
  };

  mkDerivation = { name, version ? "1.0", buildInputs ? [ ], meta ? { }, ... }@args:
    let
      drvAttrs = builtins.removeAttrs args [ "meta" ] // {
        inherit name version;
        system = "x86_64-linux";
        builder = "/bin/sh";
        args = [ "-c" "true" ];
      };
    in
    drvAttrs // {
      type = "derivation";
      outPath = "/nix/store/${name}-${version}";
      drvPath = "/nix/store/${name}-${version}.drv";
      inherit drvAttrs meta;
      deps = lib.concatMapStrings (d: d.outPath + ":") buildInputs;
    };

  n = 20000;
  packages = self: builtins.listToAttrs (builtins.genList (i: lib.nameValuePair "pkg${toString i}" (
    self.callPackage ({ mkDerivation, lib, pkg0 ? null, ... }: mkDerivation ({
      name = "pkg${toString i}";
      buildInputs = lib.optional (i > 0) self."pkg${toString (i - 1)}" ++ lib.optional (i > 10) self."pkg${toString (i / 2)}";
      meta = { description = "package number ${toString i}"; license = "mit"; };
    } // lib.optionalAttrs (i / 7 * 7 == i) { version = "2.${toString i}"; })) { }
  )) n) // {
    inherit lib mkDerivation;
    callPackage = lib.callPackageWith self;
  };

  overlays = [
    (self: super: { pkg42 = super.pkg42 // { patched = true; }; })
    (self: super: lib.mapAttrs' (name: value: lib.nameValuePair "${name}-alias" value) (lib.filterAttrs (name: v: builtins.elem name [ "pkg7" "pkg700" "pkg4000" ]) super))
    (self: super: { extra = self.mkDerivation { name = "extra"; buildInputs = [ self.pkg1 self.pkg2 ]; }; })
  ];

  pkgs = lib.fix (lib.extends (lib.composeManyExtensions overlays) packages);
  drvs = lib.filterAttrs (name: v: builtins.isAttrs v && v ? outPath) pkgs;
in
builtins.foldl' (acc: name: acc + builtins.length (builtins.attrNames drvs.${name}) + (if drvs.${name}.deps == "" then 0 else 1)) 0 (builtins.attrNames drvs)
