"""Node's https module (its bundled OpenSSL), clients/https_client.js: one
JSON line (Result.data). HTTPS only."""
import json

from .. import paths
from .base import Client, Command, Outcome
from .openssl import no_thread_id, openssl_alert_name

NODE_CLIENT = paths.CLIENT_PROGRAMS / "https_client.js"


class Node(Client):
    name, family, binary = "node", "node-openssl", "node"
    traits = frozenset({"tls10-off-by-default"})
    column = 5
    PROFILES = {"https": ("default", "verify-none", "legacy")}

    def command(self, t, profile="default", action=None, workdir=None):
        action = self.fetch(action, url=False)  # https_client.js GETs / of localhost
        cert, key = t.client_cert_files
        opts = {"host": "127.0.0.1", "port": t.port, "servername": "localhost",
                "ca": str(t.ca), "profile": profile,
                "cert": str(cert) if cert else None, "key": str(key) if key else None}
        if action.body:
            opts["body"] = True
        return Command(["node", NODE_CLIENT, json.dumps(opts)], timeout=self.TIMEOUT)

    def outcome(self, r):
        d = r.data
        if not d:
            return Outcome.no_result(r)
        if d["ok"]:
            return Outcome(d["status"] == 200, d.get("body", ""), f"HTTP {d['status']}", None,
                           {}, r)
        message = f"{d['code']}: {no_thread_id(d['error'].strip())}"
        return Outcome(False, "", message, openssl_alert_name(message), d, r)


CLIENT = Node()
