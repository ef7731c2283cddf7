"""A raw FTP control connection for protocol tests (bad input, paths):
sends exact bytes and reads whole replies, multi-line ones included. Not a
client under test (those are in clients/); it checks the server's side of
RFC 959, with the scenario's credentials from `show --json`."""
import re
import socket
import ssl

from .clients import Target


class ControlProbe:
    def __init__(self, suite, scenario, tls=True, timeout=10.0):
        self.target = Target.of(suite, scenario)
        self.sock = socket.create_connection((suite.host, suite.port(scenario)), timeout=timeout)
        self.ctx = ssl.create_default_context(cafile=str(self.target.ca))
        self.buf = b""
        if self.target.implicit:
            self.sock = self.ctx.wrap_socket(self.sock, server_hostname="localhost")
        self.greeting = self.reply()
        if tls and not self.target.implicit:
            assert self.cmd("AUTH TLS")[0] == 234
            self.sock = self.ctx.wrap_socket(self.sock, server_hostname="localhost")

    def _line(self):
        while b"\n" not in self.buf:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise EOFError(f"connection closed; partial {self.buf!r}")
            self.buf += chunk
        line, _, self.buf = self.buf.partition(b"\n")
        return line.rstrip(b"\r").decode("utf-8", "replace")

    def reply(self):
        """(code, [lines]) of one reply (RFC 959 4.2)."""
        first = self._line()
        code = int(first[:3])
        lines = [first]
        if first[3:4] == "-":
            while True:
                line = self._line()
                lines.append(line)
                if line[:3] == first[:3] and line[3:4] == " ":
                    break
        return code, lines

    def send_raw(self, data):
        self.sock.sendall(data)

    def cmd(self, line):
        self.send_raw(line.encode() + b"\r\n")
        return self.reply()

    def login(self, user=None, password=None):
        """USER and PASS, the scenario's own unless given."""
        assert self.cmd(f"USER {user or self.target.user}")[0] == 331
        return self.cmd(f"PASS {password or self.target.password}")

    def epsv_port(self):
        """EPSV: the passive data port the server opened (RFC 2428)."""
        code, lines = self.cmd("EPSV")
        assert code == 229, lines
        return int(re.search(r"\(\|\|\|(\d+)\|\)", lines[0]).group(1))

    def pasv_data(self, prot_p=True):
        """Open the passive data connection (EPSV); TLS-wrapped under PROT P,
        resuming the control session as curl and lftp do."""
        s = socket.create_connection(("127.0.0.1", self.epsv_port()), timeout=10)
        if prot_p:
            s = self.ctx.wrap_socket(s, server_hostname="localhost", session=self.sock.session)
        return s

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass
