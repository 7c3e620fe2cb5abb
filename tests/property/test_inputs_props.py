"""Input limits on arbitrary bytes: never an exception, one-line messages, and text handed
on only when the file is safe for the line-level tools."""

from __future__ import annotations

import tempfile
from pathlib import Path

import yaml
from hypothesis import example, given
from hypothesis import strategies as st

from kuberay_gitops import inputs
from tests.property import PROPERTY


def _inspect(data: bytes) -> inputs.Inspected:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "f.yaml").write_bytes(data)
        return inputs.inspect(root, root / "f.yaml")


yamlish = st.lists(
    st.sampled_from(
        [
            "a: 1",
            "- x",
            "---",
            "&a [1, 2]",
            "*a",
            "!!python/name:os",
            "\t",
            "\ufeff",
            "\x00",
            "{",
            "[",
        ]
    ),
    max_size=30,
).map(lambda parts: "\n".join(parts).encode())


@PROPERTY
@example(data=b"\xff\xfe")
@example(data=b"a: [" + b"[" * 2000)
@given(data=st.one_of(st.binary(max_size=400), yamlish))
def test_inspect_never_raises_and_every_message_is_one_line(data: bytes) -> None:
    result = _inspect(data)
    for finding in result.findings:
        assert finding.location.file == "f.yaml"
        assert finding.check_id.split("[", 1)[0] in inputs.CHECK_IDS
        assert finding.message
        assert finding.message.splitlines() == [finding.message]


@PROPERTY
@given(data=st.one_of(st.binary(max_size=400), yamlish))
def test_text_is_handed_on_only_without_an_unsafe_or_undecodable_finding(data: bytes) -> None:
    result = _inspect(data)
    blocking = [
        f
        for f in result.findings
        if f.check_id.startswith(inputs.UNSAFE)
        or f.check_id in (f"{inputs.ENCODING}[utf-8]", f"{inputs.ENCODING}[control]")
    ]
    assert (result.text is None) == bool(blocking)


@PROPERTY
@given(
    docs=st.lists(
        st.dictionaries(
            st.text(min_size=1, max_size=8),
            st.recursive(
                st.none() | st.booleans() | st.integers() | st.text(max_size=10),
                lambda inner: (
                    st.lists(inner, max_size=4)
                    | st.dictionaries(st.text(max_size=5), inner, max_size=4)
                ),
                max_leaves=20,
            ),
            min_size=1,
            max_size=5,
        ),
        min_size=1,
        max_size=3,
    )
)
def test_plain_manifests_dumped_by_pyyaml_pass(docs: list[dict[str, object]]) -> None:
    text = yaml.safe_dump_all(docs, allow_unicode=False)
    result = _inspect(text.encode())
    assert [f.check_id for f in result.findings if not f.check_id.endswith("[list]")] == []
    assert result.text == text
