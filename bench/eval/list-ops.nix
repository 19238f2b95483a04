# List operations: genList, map, filter, ++, concatLists, elemAt, length
# and folds over 600k elements.
let
  l = builtins.genList (i: i) 300000;
  doubled = map (x: x * 2) (l ++ l);
  evens = builtins.filter (x: x / 4 * 4 == x) doubled;
  pairs = builtins.concatLists (map (x: [ x (x + 1) ]) l);
  sum = builtins.foldl' (a: b: a + b) 0;
in
[
  (sum evens)
  (builtins.length pairs)
  (sum (builtins.genList (i: builtins.elemAt pairs (i * 2)) 300000))
  (builtins.head (builtins.tail l))
]
