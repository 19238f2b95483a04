# builtins.match over long strings: 20 matches of 100 kB strings (Nix's
# recursive std::regex overflows its stack on much longer ones), with
# greedy loops that run to the end and back.
let
  s = n: builtins.concatStringsSep "" (builtins.genList (i: "abc,defghij klmnopq-rstu.vwxyz${toString (i + n)} ") 2500);
  m = n: builtins.match "(.*)(q-r)([^@]*)" (s n);
in
builtins.foldl' (acc: n: acc + builtins.stringLength (builtins.elemAt (m n) 0)) 0 (builtins.genList (i: i) 20)
