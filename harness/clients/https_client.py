"""Python's own HTTPS client (urllib + ssl), run by the checker. Prints one
JSON line: the HTTP status (and with --body the body, which the mTLS pages
fill with the verified subject), or the exception's class, message and, for
certificate errors, OpenSSL's verify code."""
import argparse
import warnings
import json
import ssl
import sys
import urllib.error
import urllib.request


warnings.simplefilter("ignore", DeprecationWarning)  # TLS 1.0 is the point of "legacy"


def context(args):
    ctx = ssl.create_default_context(cafile=args.ca)
    if args.profile == "verify-none":
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
    if args.profile == "legacy":
        ctx.minimum_version = ssl.TLSVersion.TLSv1
        ctx.set_ciphers("DEFAULT@SECLEVEL=0")
    if args.cert:
        ctx.load_cert_chain(args.cert, args.key)
    return ctx


def describe(e):
    reason = getattr(e, "reason", None)
    inner = reason if isinstance(reason, BaseException) else None
    err = inner or e
    return {"ok": False, "error_class": type(err).__name__, "error": str(err),
            "verify_code": getattr(err, "verify_code", None),
            "ssl_reason": getattr(err, "reason", None) if inner or isinstance(err, ssl.SSLError)
            else None}


def main():
    ap = argparse.ArgumentParser()
    for a in ("--url", "--ca", "--profile", "--cert", "--key"):
        ap.add_argument(a)
    ap.add_argument("--body", action="store_true")
    args = ap.parse_args()
    try:
        with urllib.request.urlopen(args.url, context=context(args), timeout=15) as r:
            data = r.read()
            out = {"ok": True, "status": r.status, "bytes": len(data)}
            if args.body:
                out["body"] = data.decode("utf-8", "replace")
    except urllib.error.HTTPError as e:
        out = {"ok": True, "status": e.code}
    except (urllib.error.URLError, OSError, ssl.SSLError) as e:
        out = describe(e)
    except Exception as e:  # http.client.RemoteDisconnected etc. land here too
        out = describe(e)
    print(json.dumps(out, default=str))
    return 0 if out.get("ok") else 1


if __name__ == "__main__":
    sys.exit(main())
