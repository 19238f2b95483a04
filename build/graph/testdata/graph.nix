# A graph of derivations built by a static busybox, for comparing govix's
# builds with nix-build's: a fixed output fetched over HTTP, several
# outputs referring to each other, passAsFile, structured attributes,
# self-references, references through file names and symlinks, and an
# exportReferencesGraph.
{ bbdir, url, fileHash, salt ? "" }:
let
  bb = builtins.path { path = bbdir; name = "busybox"; };
  sh = "${bb}/busybox";
  mk = name: attrs: derivation ({
    inherit name;
    system = "x86_64-linux";
    builder = sh;
    inherit salt;
  } // attrs);
  script = s: [ "sh" "-c" s ];

  fetched = mk "fetched" {
    args = script "${sh} wget -q -O $out ${url}";
    outputHashMode = "flat";
    outputHashAlgo = "sha256";
    outputHash = fileHash;
  };

  # out refers to dev, dev to lib, lib to itself.
  multi = mk "multi" {
    outputs = [ "out" "dev" "lib" ];
    args = script ''
      set -e
      ${sh} mkdir -p $out/bin $dev/include $lib
      echo "lib is $lib" > $dev/include/info.h
      echo "#!$out/bin/x uses $dev" > $out/bin/x
      ${sh} chmod +x $out/bin/x
      echo "I am $lib" > $lib/me
      ${sh} ln -s $dev/include $out/inc
      ${sh} cat ${fetched} > $out/fetched
      ${sh} touch "$out/named-after-$(${sh} basename $lib)"
    '';
  };

  passfile = mk "passfile" {
    passAsFile = [ "big" "other" ];
    big = "the dev output is ${multi.dev}\nwith two lines";
    other = "placeholder: ${builtins.placeholder "out"}";
    args = script ''
      set -e
      ${sh} cat $bigPath $otherPath > $out
      echo >> $out
      ${sh} env | ${sh} sort >> $out
      # Ownership and modes of what the sandbox shows (not sizes or
      # times, which depend on the file systems).
      ${sh} ls -lan / /build /etc /nix/store /tmp | ${sh} awk '$1 != "total" && $9 != "proc" { s = $5; if ($1 ~ /^d/) s = "-"; print $1, $3, $4, s, $9, $10, $11 }' >> $out
      [ -t 1 ] && echo "stdout is a terminal" >> $out
      ${sh} id >> $out
    '';
  };

  structured = mk "structured" {
    __structuredAttrs = true;
    outputs = [ "out" "doc" ];
    list = [ 1 2.5 "a'b" true null ];
    n = 42;
    big = 12345678901;
    f = 0.1;
    neg = -3;
    flag = true;
    off = false;
    nothing = null;
    nested = { a = "b"; c = 1; };
    deep = { x = [ 1 ]; };
    "not a var" = "x";
    deps = [ passfile ];
    exportReferencesGraph = { graph = [ multi ]; };
    args = script ''
      set -e
      ${sh} mkdir ${builtins.placeholder "out"} ${builtins.placeholder "doc"}
      ${sh} cp .attrs.json .attrs.sh ${builtins.placeholder "out"}/
      ${sh} env | ${sh} sort > ${builtins.placeholder "doc"}/env
      [ -e "$NIX_ATTRS_JSON_FILE" ] && echo "attrs file visible" >> ${builtins.placeholder "doc"}/env
      echo ${passfile} > ${builtins.placeholder "doc"}/dep
    '';
  };

  # What a build that is not a fixed output can reach: neither the
  # network (the loopback server), nor host files, nor other store paths.
  isolated = mk "isolated" {
    # (Not "exec > $out": Nix kills a builder that closes its log.)
    args = script ''
      {
        hostport=$(echo ${url} | ${sh} sed 's|^http://||; s|/.*||; s|:| |')
        if echo | ${sh} nc -w 3 $hostport; then echo reached the network; else echo no network; fi
        ${sh} cat /etc/shadow || echo no host files
        ${sh} ls /root /home /usr /var || echo no host directories
        ${sh} ls /nix/store
      } > $out 2>&1
    '';
  };

  graphfile = mk "graphfile" {
    exportReferencesGraph = [ "closure" multi.out ];
    args = script "${sh} cat closure > $out";
  };

  all = mk "all" {
    args = script ''
      set -e
      ${sh} mkdir $out
      ${sh} ln -s ${multi} $out/multi
      ${sh} ln -s ${passfile} $out/passfile
      ${sh} ln -s ${structured} $out/structured
      ${sh} ln -s ${structured.doc} $out/structured-doc
      ${sh} ln -s ${graphfile} $out/graphfile
      ${sh} ln -s ${isolated} $out/isolated
      echo "self: $out" > $out/self
    '';
  };
in
{ inherit fetched multi passfile structured isolated graphfile all; }
