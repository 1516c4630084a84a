"""`python -m web`: serve the page and a bundle, or build them into a static site.

examples:
  python -m web                                   # serve ./bundle at http://127.0.0.1:8000/ (waitress)
  python -m web --bundle bundle-u8 --port 8080
  python -m web build site                        # ./bundle + the page -> site/, for any static host
  python -m web build site --bundle bundle-u8

Everything runs in the visitor's browser; the server only hands out files and never receives
an image. A static site needs its headers (site/_headers, or site/nginx.conf for nginx): COOP
and COEP give WASM its threads, and the CSP admits the page's import map.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m web", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", metavar="{serve,build}")
    serve = sub.add_parser("serve", help="serve the page and a bundle (the default)")
    build = sub.add_parser("build", help="write the page, a bundle and TF.js as a static site")
    build.add_argument("out", type=Path, metavar="DIR", help="the site folder (replaced when complete)")
    # Each option is accepted before or after the command; a subcommand leaves unset ones to the top.
    for p in (parser, serve, build):
        top = p is parser
        p.add_argument("--bundle", type=Path, default=Path("bundle") if top else argparse.SUPPRESS, metavar="DIR",
                       help="bundle folder written by `python -m converter export` (default: bundle)")
    for p in (parser, serve):
        top = p is parser
        p.add_argument("--host", default="127.0.0.1" if top else argparse.SUPPRESS,
                       help="address to listen on (default: 127.0.0.1, this machine only)")
        p.add_argument("--port", type=int, default=8000 if top else argparse.SUPPRESS, help="port (default: 8000)")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    from facepack.assets import MissingAssetError
    from facepack.bundle import BundleError

    try:
        if args.command == "build":
            from web.site import build_site

            build_site(args.out, args.bundle)
            return 0
        from waitress import serve

        from web.app import create_app

        app = create_app(args.bundle)
    except (BundleError, MissingAssetError, ValueError) as err:
        print(f"error: {err}\n(make a bundle with `python -m converter export --out {args.bundle}`)", file=sys.stderr)
        return 2
    print(f"facepack: serving {args.bundle.resolve()} at http://{args.host}:{args.port}/  (Ctrl+C stops)", flush=True)
    serve(app, host=args.host, port=args.port, threads=8, ident="facepack", _quiet=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
