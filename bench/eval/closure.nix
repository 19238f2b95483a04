# builtins.genericClosure over a graph of 200,000 nodes with three edges
# each (integer keys).
let
  n = 200000;
  next = k: [
    { key = builtins.bitAnd (k * 2 + 1) 262143; }
    { key = builtins.bitAnd (k * 3 + 7) 262143; }
    { key = builtins.bitAnd (k + 5) 262143; }
  ];
  c = builtins.genericClosure {
    startSet = [ { key = 0; } ];
    operator = e: next e.key;
  };
in
[ (builtins.length c) (builtins.elemAt c 1000).key ]
