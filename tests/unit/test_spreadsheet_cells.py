"""Text a spreadsheet would run as a formula (CSV injection) is kept as text in every CSV lianyi
writes (servicekit.text.spreadsheet_cell: the gateway's downloads and the review bulletin)."""
import pytest

from servicekit.text import spreadsheet_cell


@pytest.mark.parametrize("text", ["=HYPERLINK(\"http://x\")", "+1", "-2+3", "@SUM(A1)", "\tx", "\rx"])
def test_a_cell_a_spreadsheet_would_run_is_kept_as_text(text):
    assert spreadsheet_cell(text) == "'" + text


@pytest.mark.parametrize("text", ["幸福小区", "2号楼", "", "a=b", "1-2"])
def test_other_text_is_as_written(text):
    assert spreadsheet_cell(text) == text
