# String concatenation in a loop: appending to an accumulator (quadratic
# copying, as in Nix) and interpolation.
let
  n = 20000;
  s = builtins.foldl' (acc: i: acc + "x") "" (builtins.genList (i: i) n);
  t = builtins.foldl' (acc: i: "${acc}${toString i},") "" (builtins.genList (i: i) 5000);
in
[ (s == s) (t == t) ]
