# The configuration of the example server: a function of the host it
# runs on and of the environment, as NixOS modules are.
{ host, env ? "dev", ... }:

let
  prod = env == "prod";
  # A site serving static files from /srv/NAME.
  static = name: {
    root = "/srv/${name}";
    aliases = [ "www.${name}" ];
  };
in
{
  listen = if prod then "0.0.0.0:443" else "127.0.0.1:8080";
  workers = host.cpus * 2;
  timeout = if prod then "1m" else "5s";
  logLevel = if prod then "warn" else "debug";

  sites = {
    "example.org" = static "example.org";
    "api.example.org" = {
      root = "/srv/api";
      tls = prod;
      maxBodyBytes = 16 * 1024 * 1024;
      upstream = { url = "http://${host.name}:9000"; retries = 3; };
    };
  } // (if prod then { } else { "test.local" = static "test.local" // { tls = false; }; });
}
