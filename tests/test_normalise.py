from hypothesis import given
from hypothesis import strategies as st

from kfscript.normalise import _first_choices, clauses, detect_script, fold, to_traditional

TRADITIONAL_ONLY = set(_first_choices("TSCharacters.txt"))
SIMPLIFIED_ONLY = set(_first_choices("STCharacters.txt")) - TRADITIONAL_ONLY
SCRIPT_TEXT = st.text(alphabet=st.sampled_from(
    sorted(TRADITIONAL_ONLY)[::40] + sorted(SIMPLIFIED_ONLY)[::40] + list("的了吗在 ok!！😡𠀀")))


def test_fold_widths_case_space_and_script() -> None:
    assert fold("ＡＢＣ　東西壞了！！") == "abc 东西坏了！！"  # full-width clause marks stay
    assert fold("（Ｓ码）") == "(s码)"


@given(st.text())
def test_fold_keeps_length_so_spans_never_move(text: str) -> None:
    assert len(fold(text)) == len(text)


@given(st.text())
def test_fold_is_idempotent(text: str) -> None:
    assert fold(fold(text)) == fold(text)


@given(st.text())
def test_detect_script_shortcut_agrees(text: str) -> None:
    assert detect_script(text, fold(text)) == detect_script(text)


@given(SCRIPT_TEXT)
def test_detect_script_compares_the_counts_of_script_only_characters(text: str) -> None:
    traditional = sum(char in TRADITIONAL_ONLY for char in text)
    simplified = sum(char in SIMPLIFIED_ONLY for char in text)
    expected = "traditional" if traditional and traditional >= simplified else "simplified"
    assert detect_script(text, fold(text)) == detect_script(text) == expected


def test_detect_script() -> None:
    assert detect_script("東西壞了，還沒發貨") == "traditional"
    assert detect_script("东西坏了，还没发货") == "simplified"
    assert detect_script("ok 在吗") == "simplified"
    assert detect_script("") == "simplified"
    assert detect_script("唔該晒！") == "traditional"  # Cantonese with one ambiguous character


def test_to_traditional_uses_taiwan_standard() -> None:
    converted = to_traditional("亲，您的快递已经发出了，请耐心等待着")
    assert converted == "親，您的快遞已經發出了，請耐心等待著"


def test_clauses_split_on_punctuation_and_space() -> None:
    folded = fold("没有破损，就是颜色发错了!! 谢谢")
    assert [folded[s:e] for s, e in clauses(folded)] == ["没有破损", "就是颜色发错了", "谢谢"]
