from letters.models import Coding, CodingSuggestion, Reply


def coding_initial(reply: Reply) -> dict:
    """Per theme of the reply's round: what the coding form starts with, and any suggestion.

    A person's earlier coding wins; otherwise the fields start from the system's suggestion,
    which is saved only if the coder accepts it or edits it.
    """
    themes = list(reply.letter.round.themes.all())
    codings = {
        coding.theme_id: coding
        for coding in Coding.objects.filter(reply=reply)
        .select_related("coded_by")
        .prefetch_related("excerpts")
    }
    suggestions = {s.theme_id: s for s in CodingSuggestion.objects.filter(reply=reply)}
    result = {}
    for theme in themes:
        coding, suggestion = codings.get(theme.pk), suggestions.get(theme.pk)
        if coding:
            initial = {
                "judgement": coding.judgement,
                "excerpts": "\n\n".join(excerpt.text for excerpt in coding.excerpts.all()),
                "note": coding.note,
            }
        elif suggestion:
            initial = {
                "judgement": suggestion.judgement,
                "excerpts": "\n\n".join(suggestion.excerpts),
            }
        else:
            initial = {}
        result[theme] = {"initial": initial, "suggestion": suggestion, "coding": coding}
    return result
