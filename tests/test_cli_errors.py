"""No traceback reaches a user: bugs become one plain line and exit 1."""

from __future__ import annotations

import argparse

import pytest

from ergod import cli


def test_an_unexpected_exception_is_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def broken(args: argparse.Namespace) -> int:
        raise RuntimeError("boom")

    parser = cli.build_parser()
    monkeypatch.setattr(cli, "build_parser", lambda only=None: parser)
    args = parser.parse_args(["simulate", "--trace", "x.csv"])
    monkeypatch.setattr(
        parser, "parse_args", lambda argv=None: argparse.Namespace(**{**vars(args), "func": broken})
    )
    monkeypatch.delenv("ERGOD_DEBUG", raising=False)
    assert cli.main(["simulate", "--trace", "x.csv"]) == 1
    err = capsys.readouterr().err
    assert err.splitlines()[0] == "ergod: internal error: RuntimeError: boom"
    assert "Traceback" not in err


def test_debug_shows_the_traceback(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(args: argparse.Namespace) -> int:
        raise RuntimeError("boom")

    parser = cli.build_parser()
    args = parser.parse_args(["simulate", "--trace", "x.csv"])
    monkeypatch.setattr(cli, "build_parser", lambda only=None: parser)
    monkeypatch.setattr(
        parser, "parse_args", lambda argv=None: argparse.Namespace(**{**vars(args), "func": broken})
    )
    monkeypatch.setenv("ERGOD_DEBUG", "1")
    with pytest.raises(RuntimeError):
        cli.main(["simulate", "--trace", "x.csv"])
