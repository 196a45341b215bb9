from django.template.loader import render_to_string

from letters.text import Block, text_blocks


def test_blank_lines_separate_paragraphs_and_single_breaks_stay_inside_one():
    text = "First paragraph,\nsecond line.\n\n\nSecond paragraph.\r\n\r\nThird."
    assert text_blocks(text) == [
        Block("paragraph", ("First paragraph,", "second line.")),
        Block("paragraph", ("Second paragraph.",)),
        Block("paragraph", ("Third.",)),
    ]


def test_dash_lines_make_one_bullet_list_between_paragraphs():
    text = "I observe:\n- structures lag behind\n\n- orders are not enforced\nThat is all."
    assert text_blocks(text) == [
        Block("paragraph", ("I observe:",)),
        Block("bullets", ("structures lag behind", "orders are not enforced")),
        Block("paragraph", ("That is all.",)),
    ]


def test_an_indented_line_continues_the_bullet_above_it():
    text = "- a point that runs\n  onto a second line\n- another"
    assert text_blocks(text) == [
        Block("bullets", ("a point that runs onto a second line", "another")),
    ]


def test_a_dash_without_a_space_is_ordinary_text():
    assert text_blocks("-5 degrees\n--- not a rule") == [
        Block("paragraph", ("-5 degrees", "--- not a rule")),
    ]


def test_empty_text_has_no_blocks():
    assert text_blocks("") == []
    assert text_blocks(" \n- \n\n") == []


def test_shared_include_escapes_what_the_user_typed():
    html = render_to_string(
        "letters/includes/text_blocks.html",
        {
            "text": "<b>bold?</b>\n\n- <script>alert(1)</script>",
            "paragraph_class": "govuk-body",
            "list_class": "govuk-list govuk-list--bullet",
        },
    )
    assert '<p class="govuk-body">&lt;b&gt;bold?&lt;/b&gt;</p>' in html
    assert '<ul class="govuk-list govuk-list--bullet">' in html
    assert "<li>&lt;script&gt;alert(1)&lt;/script&gt;</li>" in html
    assert "<script>" not in html and "<b>" not in html
