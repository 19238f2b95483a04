# builtins.sort of 100,000 integers in pseudo-random order, with
# builtins.lessThan and with a lambda comparator.
let
  n = 100000;
  l = builtins.genList (i: builtins.bitAnd (i * 1103515245 + 12345) 1048575) n;
  a = builtins.sort builtins.lessThan l;
  b = builtins.sort (x: y: x < y) l;
in
[ (builtins.head a) (builtins.elemAt a 50000) (builtins.elemAt b 99999) (a == b) ]
