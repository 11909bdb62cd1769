"""The ``claims-table`` directive: the "Claims at a glance" table, built from ``lecturelib.claims``.

The rows come from the rules' registry (id, paraphrase, test) and the verdict
column pastes what each chapter glued when it ran, so the page always shows the
verdicts of the build it belongs to.
"""
from docutils import nodes
from docutils.statemachine import StringList
from sphinx.util.docutils import SphinxDirective


class ClaimsTable(SphinxDirective):
    has_content = False

    def run(self):
        from lecturelib.claims import glance_markdown

        container = nodes.container(classes=["claims-table"])
        lines = StringList(glance_markdown().splitlines(), source=self.env.docname)
        self.state.nested_parse(lines, self.content_offset, container)
        return [container]


def setup(app):
    app.add_directive("claims-table", ClaimsTable)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
