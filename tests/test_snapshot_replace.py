"""`costkit collect --out` replaces only a snapshot costkit wrote, and a write killed between its two renames
never leaves the previous snapshot only under its hidden `.old` name (costkit.sources.snapshot.folder `write`)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from costkit.cli import app
from costkit.sources.snapshot.folder import Snapshot, check_target, read, write

OLD = Snapshot(
    tables={"pipelines": pd.DataFrame({"pipeline": ["web"], "pipeline_type": ["V2"]})},
    manifest={"created": "2026-11-01T00:00:00+00:00", "failures": []},
)
NEW = Snapshot(
    tables={
        "pipelines": pd.DataFrame({"pipeline": ["api", "web"], "pipeline_type": ["V1", "V2"]}),
        "builds": pd.DataFrame({"build_id": ["b-1"], "duration_s": [61.0]}),
    },
    manifest={"created": "2026-11-02T00:00:00+00:00", "failures": []},
)


def collect(out: str) -> tuple[int, str]:
    """`costkit collect --demo --out OUT`; a refused --out is refused before anything is collected."""
    result = CliRunner().invoke(app, ["collect", "--demo", "--month", "2026-10", "--out", out, "--quiet"])
    assert "Traceback" not in result.output
    return result.exit_code, " ".join(result.output.split())


def contents(folder: Path) -> dict[str, bytes]:
    """Every file under `folder`, by relative path, with its bytes."""
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


# -- what --out may replace ----------------------------------------------------------------------------------------


def test_a_folder_holding_other_files_is_refused_and_kept(tmp_path: Path) -> None:
    folder = tmp_path / "work"
    (folder / "src").mkdir(parents=True)
    (folder / "notes.txt").write_text("my notes\n")
    (folder / "src" / "main.py").write_text("print('hi')\n")
    before = contents(folder)

    code, message = collect(str(folder))

    assert code == 2
    assert f"{folder}: is not empty and not a snapshot costkit wrote; nothing was changed" in message
    assert "hint: give a new or empty folder, or a snapshot written by `costkit collect`" in message
    assert contents(folder) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["work"]  # no staging folder left either


def test_the_current_folder_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "report.md").write_text("# October\n")
    monkeypatch.chdir(tmp_path)

    code, message = collect(".")

    assert code == 2
    assert ".: is the current folder or holds it; costkit never replaces it" in message
    assert contents(tmp_path) == {"report.md": b"# October\n"}


def test_an_empty_current_folder_and_its_parent_are_refused_too(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    here = tmp_path / "empty"
    here.mkdir()
    monkeypatch.chdir(here)
    assert collect(".")[0] == 2
    assert collect("..")[0] == 2
    assert here.is_dir()
    assert list(here.iterdir()) == []


def test_a_regular_file_is_refused_and_stays_a_file(tmp_path: Path) -> None:
    report = tmp_path / "report.txt"
    report.write_text("total 123.45\n")

    code, message = collect(str(report))

    assert code == 2
    assert f"{report}: is a file, not a snapshot folder; costkit does not replace it" in message
    assert report.is_file()
    assert report.read_text() == "total 123.45\n"


def test_a_symbolic_link_is_refused_and_what_it_points_to_is_kept(tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "keep.txt").write_text("keep\n")
    link = tmp_path / "snapshot"
    link.symlink_to(elsewhere, target_is_directory=True)

    code, message = collect(str(link))

    assert code == 2
    assert f"{link}: is a symbolic link; costkit does not replace links" in message
    assert link.is_symlink()
    assert contents(elsewhere) == {"keep.txt": b"keep\n"}


def test_a_snapshot_with_a_file_added_by_a_person_is_refused(tmp_path: Path) -> None:
    target = tmp_path / "oct"
    write(OLD, target)
    (target / "README.txt").write_text("October, for finance\n")
    before = contents(target)

    code, message = collect(str(target))

    assert code == 2
    assert f"{target}: holds files costkit did not write (README.txt); nothing was changed" in message
    assert contents(target) == before


def test_a_manifest_without_costkit_s_marks_is_not_enough(tmp_path: Path) -> None:
    target = tmp_path / "data"
    target.mkdir()
    (target / "manifest.json").write_text(json.dumps({"tables": ["pipelines"]}))  # some other tool's manifest
    with pytest.raises(Exception, match="not a snapshot costkit wrote"):
        check_target(target)


def test_a_snapshot_costkit_wrote_is_replaced_and_only_its_own_files_go(tmp_path: Path) -> None:
    target = tmp_path / "oct"
    write(OLD, target)
    manifest = json.loads((target / "manifest.json").read_text())
    assert manifest["written_by"] == "costkit"
    assert manifest["format_version"] == 1

    code, _ = collect(str(target))

    assert code == 0
    assert read(target).manifest["window"]["start"] == "2026-10-01T00:00:00+00:00"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["oct"]  # neither .old nor staging left


def test_a_costkit_0_1_snapshot_without_the_marker_is_replaced(tmp_path: Path) -> None:
    target = tmp_path / "oct"
    target.mkdir()
    # What costkit 0.1 wrote: the collection's manifest (with costkit_version), format_version 1 and the tables.
    OLD.tables["pipelines"].to_parquet(target / "pipelines.parquet", index=False)
    legacy = {"costkit_version": "0.1.0", "created": "2026-11-01T00:00:00+00:00", "format_version": 1}
    (target / "manifest.json").write_text(json.dumps({**legacy, "tables": ["pipelines"]}))

    write(NEW, target)

    assert sorted(read(target, check_data=False).tables) == ["builds", "pipelines"]


def test_an_empty_or_absent_folder_is_fine(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    write(NEW, tmp_path / "empty")
    write(NEW, tmp_path / "new" / "nested")
    assert sorted(read(tmp_path / "empty", check_data=False).tables) == sorted(
        read(tmp_path / "new" / "nested", check_data=False).tables
    )


# -- a write interrupted between its two renames -------------------------------------------------------------------

KILLED_BETWEEN_RENAMES = textwrap.dedent(
    """
    import os, signal, sys
    from pathlib import Path
    import pandas as pd
    from costkit.sources.snapshot.folder import Snapshot, write

    rename = Path.rename

    def rename_then_die(self, target):
        moved = rename(self, target)
        if ".old-" in Path(target).name:  # the previous snapshot is moved away: the new one is not in yet
            os.kill(os.getpid(), signal.SIGKILL)
        return moved

    Path.rename = rename_then_die
    write(Snapshot(tables={"pipelines": pd.DataFrame({"pipeline": ["never"]})}), Path(sys.argv[1]))
    """
)


def kill_between_renames(target: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-c", KILLED_BETWEEN_RENAMES, str(target)], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == -signal.SIGKILL, done.stderr
    # the state a kill leaves: no target, the previous snapshot under its hidden name, the new one in staging
    assert not target.exists()
    hidden = sorted(p.name.split("-")[0] for p in target.parent.iterdir())
    assert hidden == [".oct.old", ".oct.tmp"]


@pytest.mark.skipif(os.name != "posix", reason="SIGKILL")
def test_a_kill_between_the_renames_is_recovered_by_the_next_read(tmp_path: Path) -> None:
    target = tmp_path / "oct"
    write(OLD, target)
    before = contents(target)

    kill_between_renames(target)
    snapshot = read(target, check_data=False)

    assert contents(target) == before
    assert list(snapshot.tables["pipelines"]["pipeline"]) == ["web"]
    assert not [p for p in tmp_path.iterdir() if ".old-" in p.name]


@pytest.mark.skipif(os.name != "posix", reason="SIGKILL")
def test_a_kill_between_the_renames_is_recovered_by_the_next_write(tmp_path: Path) -> None:
    target = tmp_path / "oct"
    write(OLD, target)

    kill_between_renames(target)
    code, _ = collect(str(target))  # the restored snapshot is costkit's, so it may be replaced

    assert code == 0
    assert "pipeline_executions" in read(target).tables
    assert not [p for p in tmp_path.iterdir() if ".old-" in p.name]


def test_a_failed_second_rename_puts_the_previous_snapshot_back_at_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "oct"
    write(OLD, target)
    before = contents(target)
    rename = Path.rename

    def refuse_staging(self: Path, destination: Path) -> Path:
        if ".tmp-" in self.name:
            raise OSError(28, "No space left on device", str(destination))
        return rename(self, destination)

    monkeypatch.setattr(Path, "rename", refuse_staging)
    with pytest.raises(Exception, match=r"oct: cannot write the snapshot \(No space left on device"):
        write(NEW, target)
    monkeypatch.undo()

    assert contents(target) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["oct"]


# -- an --out that cannot be written -------------------------------------------------------------------------------


def test_an_out_below_a_file_is_refused_before_collecting(tmp_path: Path) -> None:
    (tmp_path / "report.txt").write_text("total\n")
    code, message = collect(str(tmp_path / "report.txt" / "snapshot"))
    assert code == 2
    assert f"cannot be written: {tmp_path / 'report.txt'} is a file" in message


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root may write in a read-only folder")
def test_an_out_in_a_read_only_folder_is_refused(tmp_path: Path) -> None:
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o555)
    try:
        code, message = collect(str(locked / "snapshot"))
    finally:
        locked.chmod(0o755)
    assert code == 2
    assert f"cannot be written: no permission to write in {locked}" in message


def test_no_permission_found_before_collecting_is_exit_2(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(os, "access", lambda path, mode: False)  # what a read-only folder answers a normal user
    code, message = collect(str(tmp_path / "snapshot"))
    assert code == 2
    assert f"cannot be written: no permission to write in {tmp_path}" in message


def test_permission_denied_while_writing_is_exit_2(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    mkdir = Path.mkdir

    def denied(self: Path, *args: object, **kwargs: object) -> None:
        if ".tmp-" in self.name:
            raise PermissionError(13, "Permission denied", str(self))
        mkdir(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(Path, "mkdir", denied)
    code, message = collect(str(tmp_path / "snapshot"))
    assert code == 2
    assert (
        f"{tmp_path / 'snapshot'}: cannot write the snapshot (Permission denied at {tmp_path}/.snapshot.tmp-" in message
    )
    assert list(tmp_path.iterdir()) == []
