# builtins.split of a 1 MB string into about 100,000 parts, 5 times.
let
  s = n: builtins.concatStringsSep "" (builtins.genList (i: "abc,defghij klmnopq-rstu.vwxyz${toString (i + n)} ") 25000);
  p = n: builtins.split "([,[:space:]])|q-r" (s n);
in
builtins.foldl' (acc: n: acc + builtins.length (p n)) 0 (builtins.genList (i: i) 5)
