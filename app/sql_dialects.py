"""SQL that one database needs said differently: an expression that is its argument itself on
every database but one, where a template wraps it."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement


def wrapped_on(dialect: str, template: str) -> Any:
    """A class decorator for a one-argument ``FunctionElement``: rendered as its argument,
    and on ``dialect`` as ``template`` with the argument in place of ``{}``."""

    def register(element: type[FunctionElement[Any]]) -> type[FunctionElement[Any]]:
        def bare(node: FunctionElement[Any], compiler: SQLCompiler, **kw: Any) -> str:
            return compiler.process(node.clauses, **kw)

        def wrapped(node: FunctionElement[Any], compiler: SQLCompiler, **kw: Any) -> str:
            return template.format(compiler.process(node.clauses, **kw))

        compiles(element)(bare)
        compiles(element, dialect)(wrapped)
        return element

    return register
