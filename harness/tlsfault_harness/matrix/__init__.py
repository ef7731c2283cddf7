"""The paired checker: every (scenario x client x profile) cell is run for
real, the client's report classified, and the verdict taken from both the
client's side and the server's event for that connection."""
