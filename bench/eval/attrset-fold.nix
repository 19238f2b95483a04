# Building a 100k-attribute set with listToAttrs, then folding over it by
# name (attrNames, dynamic selection, strict left fold).
let
  n = 100000;
  set = builtins.listToAttrs (builtins.genList (i: { name = "a${toString i}"; value = i; }) n);
in
builtins.foldl' (acc: name: acc + set.${name}) 0 (builtins.attrNames set)
