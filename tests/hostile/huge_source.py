"""A seed for a huge source file: the tests repeat this file until it is larger than
the judge accepts. Run as it is, it compiles a giant generated expression instead.
Expect a clear failure (size limit, memory or CPU), never a hang."""
source = "x = " + " + ".join(["1"] * 3_000_000)
compile(source, "generated", "exec")
