"""`python -m web`: serve the page and a bundle on loopback."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m web",
        description="Serve the facepack page and a bundle. Everything runs in the visitor's browser; "
                    "the server only hands out files and never receives an image.",
        epilog="example:\n  python -m converter export && python -m web --bundle bundle --port 8000",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--bundle", type=Path, default=Path("bundle"), metavar="DIR",
                        help="bundle folder written by `python -m converter export` (default: bundle)")
    parser.add_argument("--host", default="127.0.0.1",
                        help="address to listen on (default: 127.0.0.1, this machine only)")
    parser.add_argument("--port", type=int, default=8000, help="port (default: 8000)")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    from facepack.assets import MissingAssetError
    from facepack.bundle import BundleError
    from web.app import create_app

    try:
        app = create_app(args.bundle)
    except (BundleError, MissingAssetError) as err:
        print(f"error: {err}\n(make a bundle with `python -m converter export --out {args.bundle}`)",
              file=sys.stderr)
        return 2
    print(f"facepack: serving {args.bundle.resolve()} at http://{args.host}:{args.port}/  (Ctrl+C stops)")
    app.run(host=args.host, port=args.port, threaded=True, debug=False, load_dotenv=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
