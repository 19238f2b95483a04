# builtins.replaceStrings over a 1 MB string, 20 times.
let
  s = builtins.concatStringsSep "" (builtins.genList (i: "abc,defghij klmnopq-rstu.vwxyz${toString i} ") 25000);
  r = n: builtins.replaceStrings [ "," "def" "z${toString n}" "." ] [ "<comma>" "" "Z\n" "" ] s;
in
builtins.foldl' (acc: n: acc + builtins.stringLength (r n)) 0 (builtins.genList (i: i) 20)
