# builtins.toJSON of a document of about 10 MB, and builtins.fromJSON of it.
let
  doc = builtins.genList (i: {
    name = "package-${toString i}";
    version = "1.${toString (builtins.bitAnd i 7)}.${toString (builtins.bitAnd i 15)}";
    deps = [ i (i + 1) (i + 2) ];
    score = i * 25;
    desc = "a \"quoted\" description\nwith é and \t tabs";
    ok = true;
    meta = null;
  }) 70000;
  json = builtins.toJSON doc;
  back = builtins.fromJSON json;
in
[ (builtins.stringLength json) (builtins.length back) (builtins.elemAt back 69999).name ]
