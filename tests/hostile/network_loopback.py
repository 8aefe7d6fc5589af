"""Tries the host's loopback (a test listens on 127.0.0.1:47613) and an abstract unix
socket the test also listens on. Expect both to fail: the sandbox has its own network."""
import socket

results = []
try:
    socket.create_connection(("127.0.0.1", 47613), timeout=2).close()
    results.append("CONNECTED tcp")
except OSError as exc:
    results.append(f"tcp: {exc}")
try:
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(2)
    s.connect("\0quizzer-hostile-abstract")
    results.append("CONNECTED unix")
except OSError as exc:
    results.append(f"unix: {exc}")
raise SystemExit("loopback: " + "; ".join(results))

# Names SimpleNN (the task it is judged against), so that the judge runs it in the
# sandbox instead of failing it before any run.
