"""Watching a model's answer as it streams in, so that reading stops as soon
as the answer is of no further use: when its JSON object is complete (a
server may go on writing after it), or when it has run away.

A small local model now and then loops inside a JSON string, the same few
words over and over until `max_tokens`; every token of that is thrown away.
An answer has run away when its last characters are one span repeated
(`LOOP_COPIES` times or more, over at least `LOOP_CHARS` characters), or when
a field has grown far past what the schema asks for (a TL;DR of thousands of
characters, a list of dozens of keywords)."""

from __future__ import annotations

LOOP_CHARS = 200
"""How many characters a repeated span must cover before it counts as a loop."""

LOOP_COPIES = 3
"""How many copies of a span in a row make a loop."""

LOOP_PERIOD = 400
"""The longest span looked for."""

FIELD_CHARS = 4000
"""The most characters of one string (a TL;DR, a takeaway, a keyword), plus
twice the title's (which any of them may quote): the schema asks for one or
two sentences."""

ABSTRACT_FACTOR = 3
"""The translated abstract may be this many times the original's characters
(at least `FIELD_CHARS`)."""

KEY_CHARS = 100
"""The most characters of a field's name."""

ITEMS = 20
"""The most items of a list: the schema asks for 3 to 7."""


class AnswerWatch:
    """Fed the answer piece by piece (`feed`), says when to stop reading:
    `complete` (the object's closing brace is at `end`) or `runaway` (why)."""

    def __init__(self, abstract_chars: int = 0, title_chars: int = 0) -> None:
        self.text = ""
        self.end: int | None = None
        """Where the top-level object closed, once it has."""
        self.runaway = ""
        self._field_chars = FIELD_CHARS + 2 * title_chars
        self._abstract = max(FIELD_CHARS, ABSTRACT_FACTOR * abstract_chars) + 2 * title_chars
        self._stack: list[str] = []
        self._items: list[int] = []
        self._in_string = self._escape = self._is_key = self._expect_key = False
        self._length = 0
        self._key = ""
        self._field = ""
        """The top-level field being written."""
        self._checked = 0
        self._closed = False

    @property
    def complete(self) -> bool:
        return self.end is not None

    def feed(self, piece: str) -> bool:
        """Take the next piece of the answer; whether reading should stop."""
        start = len(self.text)
        self.text += piece
        for offset, char in enumerate(piece):
            self._step(char)
            if self.runaway:
                return True
            if self._closed:
                self.end = start + offset
                return True
        if len(self.text) - self._checked >= 16:
            self._checked = len(self.text)
            period = _loop(self.text)
            if period:
                span = self.text[-period:]
                self.runaway = f"it repeated {span[:40]!r} over and over"
                return True
        return False

    def _step(self, char: str) -> None:
        if self._in_string:
            if self._escape:
                self._escape = False
            elif char == "\\":
                self._escape = True
                return
            elif char == '"':
                self._in_string = False
                if self._is_key and len(self._stack) == 1:
                    self._field = self._key
                return
            self._length += 1
            if self._is_key:
                if len(self._stack) == 1:
                    self._key += char
                if self._length > KEY_CHARS:
                    self.runaway = f"a field's name ran past {KEY_CHARS} characters"
            else:
                limit = self._abstract if self._field == "abstract" else self._field_chars
                if self._length > limit:
                    self.runaway = f"its {self._field or 'text'!r} ran past {limit:,} characters"
            return
        if not self._stack:
            if char == "{":
                self._stack.append("{")
                self._items.append(0)
                self._expect_key = True
            return
        if char == '"':
            self._in_string, self._length = True, 0
            self._is_key = self._stack[-1] == "{" and self._expect_key
            if self._is_key and len(self._stack) == 1:
                self._key = ""
        elif char in "{[":
            self._stack.append(char)
            self._items.append(0)
            self._expect_key = char == "{"
        elif char in "}]":
            self._stack.pop()
            self._items.pop()
            self._expect_key = False
            self._closed = not self._stack
        elif char == ":":
            self._expect_key = False
        elif char == ",":
            if self._stack[-1] == "{":
                self._expect_key = True
            else:
                self._items[-1] += 1
                if self._items[-1] >= ITEMS:
                    self.runaway = f"its {self._field!r} ran past {ITEMS} items"


def _loop(text: str) -> int:
    """The period of a loop that `text` ends in, or 0."""
    size = len(text)
    if size < LOOP_CHARS:
        return 0
    last = text[-1]
    for period in range(1, min(LOOP_PERIOD, size // LOOP_COPIES) + 1):
        need = max(LOOP_CHARS, LOOP_COPIES * period)
        if text[size - 1 - period] != last or size < need:
            continue
        tail = text[size - need :]
        if tail[period:] == tail[:-period]:
            return period
    return 0
