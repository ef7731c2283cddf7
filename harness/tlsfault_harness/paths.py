"""Where the built suite lives, relative to the repository."""
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BUILD = ROOT / "build"
SERVER = BUILD / "tlsfault"
CERTS = BUILD / "certs"
SCENARIOS = ROOT / "scenarios"
CLIENT_PROGRAMS = ROOT / "harness" / "clients"  # the client programs the modules run
