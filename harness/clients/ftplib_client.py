"""Python's ftplib as an FTPS client, run as its own process by
tlsfault_harness/clients/python.py.

    python3 ftplib_client.py --host H --port P --mode explicit|implicit|plain
        [--cafile F] [--ciphers S] [--verify-none] --user U --password W
        ACTION...

ACTION is `list`, `put:LOCAL:REMOTE` or `get:REMOTE:LOCAL`.
Prints one JSON object on stdout: {"ok": true, "steps": [...]} or
{"ok": false, "exception": "module.Class", "message": str(exc), "command": VERB,
"steps": [...]} (exit status 0 / 1). The exception class, and the verb of the
last command ftplib sent (what the client was doing), are the client's report;
the message is the server's reply text, which the classifier never keys on.

ftplib has no implicit mode; ImplicitFTP_TLS wraps the socket before the
greeting, as every implicit-FTPS recipe for ftplib does. ftplib does not
resume the control session on the data connection (ntransfercmd wraps a new
session): against require_ssl_reuse servers it gets 522."""
import argparse
import ftplib
import json
import socket
import ssl
import sys


class ImplicitFTP_TLS(ftplib.FTP_TLS):
    def connect(self, host="", port=0, timeout=-999, source_address=None):
        if host:
            self.host = host
        if port > 0:
            self.port = port
        if timeout != -999:
            self.timeout = timeout
        self.sock = socket.create_connection((self.host, self.port), self.timeout)
        self.af = self.sock.family
        self.sock = self.context.wrap_socket(self.sock, server_hostname=self.host)
        self.file = self.sock.makefile("r", encoding=self.encoding)
        self.welcome = self.getresp()
        return self.welcome


class LastCommand:
    """Remembers the verb of the last command ftplib sent (AUTH, USER, NLST...)."""
    verb = None

    @classmethod
    def wrap(cls, ftp):
        putcmd = ftp.putcmd

        def tracked(line):
            cls.verb = line.split(" ", 1)[0].upper()
            return putcmd(line)
        ftp.putcmd = tracked
        return ftp


def context(args):
    if args.mode == "plain":
        return None
    ctx = ssl.create_default_context(cafile=args.cafile)
    if args.ciphers:
        ctx.set_ciphers(args.ciphers)
    if args.verify_none:
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
    return ctx


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--host", default="localhost")
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--mode", choices=("explicit", "implicit", "plain"), default="explicit")
    ap.add_argument("--cafile")
    ap.add_argument("--ciphers")
    ap.add_argument("--verify-none", action="store_true")
    ap.add_argument("--user", required=True)  # the scenario's, from tlsfault list --json
    ap.add_argument("--password", required=True)
    ap.add_argument("--timeout", type=float, default=10.0)
    ap.add_argument("actions", nargs="*", default=["list"])
    args = ap.parse_args()
    steps = []
    out = {"ok": True, "steps": steps}
    try:
        ctx = context(args)
        if args.mode == "plain":
            ftp = ftplib.FTP(timeout=args.timeout)
        elif args.mode == "implicit":
            ftp = ImplicitFTP_TLS(context=ctx, timeout=args.timeout)
        else:
            ftp = ftplib.FTP_TLS(context=ctx, timeout=args.timeout)
        LastCommand.wrap(ftp)
        steps.append(ftp.connect(args.host, args.port))
        steps.append(ftp.login(args.user, args.password))
        if args.mode != "plain":
            steps.append(ftp.prot_p())
        for action in args.actions:
            kind, _, rest = action.partition(":")
            if kind == "list":
                names = ftp.nlst()
                steps.append({"list": names})
            elif kind == "put":
                local, remote = rest.split(":", 1)
                with open(local, "rb") as f:
                    steps.append(ftp.storbinary(f"STOR {remote}", f, blocksize=65536))
            elif kind == "get":
                remote, local = rest.split(":", 1)
                with open(local, "wb") as f:
                    steps.append(ftp.retrbinary(f"RETR {remote}", f.write, blocksize=65536))
            else:
                raise SystemExit(f"unknown action {action}")
        steps.append(ftp.quit())
    except (ftplib.Error, OSError, EOFError) as e:
        out.update(ok=False, exception=f"{type(e).__module__}.{type(e).__qualname__}",
                   message=str(e), command=LastCommand.verb)
    print(json.dumps(out))
    return 0 if out["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
