"""The CLI starts, shows help, and rejects unknown commands with exit 2."""


def test_help_lists_command_groups(run_cli):
    result = run_cli("--help")
    assert result.exit_code == 0
    for name in ("bank", "judge", "sandbox", "practice"):
        assert name in result.stdout


def test_unknown_command_is_usage_error(run_cli):
    result = run_cli("no-such-command")
    assert result.exit_code == 2
    assert "no-such-command" in result.stderr
