# <nix/fetchurl.nix>: a fixed-output derivation downloaded by the built-in
# builder "builtin:fetchurl" (used by stdenv bootstraps before any fetcher
# exists). The attributes it passes decide the derivation and its path, so
# they are exactly the ones Nix 2.8 passes.
{
  url,
  name ? baseNameOf (toString url),
  # The expected contents: an SRI hash, or one of the legacy attributes.
  hash ? "",
  sha512 ? "",
  sha1 ? "",
  md5 ? "",
  sha256 ? "",
  outputHash ?
    if hash != "" then
      hash
    else if sha512 != "" then
      sha512
    else if sha1 != "" then
      sha1
    else if md5 != "" then
      md5
    else
      sha256,
  # An SRI hash names its own algorithm.
  outputHashAlgo ?
    if hash != "" then
      ""
    else if sha512 != "" then
      "sha512"
    else if sha1 != "" then
      "sha1"
    else if md5 != "" then
      "md5"
    else
      "sha256",
  executable ? false,
  unpack ? false,
  # Accepted and ignored.
  system ? "",
}:

derivation {
  inherit
    name
    url
    executable
    unpack
    outputHash
    outputHashAlgo
    ;
  builder = "builtin:fetchurl";
  system = "builtin";
  outputHashMode = if unpack || executable then "recursive" else "flat";
  urls = [ url ];
  # The download runs on the machine doing the evaluation, and may use
  # its proxy settings.
  preferLocalBuild = true;
  impureEnvVars = [
    "http_proxy"
    "https_proxy"
    "ftp_proxy"
    "all_proxy"
    "no_proxy"
  ];
}
