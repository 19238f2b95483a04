# A nixpkgs-style package set: a fixpoint over 20k attributes that refer
# to each other through `self`, extended by 400 overlays with lib.extends
# (each a // of the whole set), then every attribute is evaluated.
let
  fix = f: let x = f x; in x;
  extends = overlay: rattrs: self: let super = rattrs self; in super // overlay self super;
  n = 20000;
  base = self: builtins.listToAttrs (builtins.genList (i: {
    name = "p${toString i}";
    value = if i == 0 then 0 else self."p${toString (i - 1)}" + 1;
  }) n);
  overlays = builtins.genList (i: self: super: {
    "q${toString i}" = self.p19999 + i;
    "p${toString (i * 50)}" = super."p${toString (i * 50)}" + 1;
  }) 400;
  pkgs = fix (builtins.foldl' (acc: o: extends o acc) base overlays);
in
builtins.foldl' (acc: name: acc + pkgs.${name}) 0 (builtins.attrNames pkgs)
