"""Undo and redo for a text editor: a stack of snapshots and a stack of undone ones."""


class History:
    def __init__(self, initial: str = "") -> None:
        self._done = [initial]
        self._undone: list[str] = []

    def record(self, text: str) -> None:
        """A new snapshot; whatever was undone can no longer be redone."""
        if text == self.current():
            return
        self._done.append(text)
        self._undone.clear()

    def current(self) -> str:
        return self._done[0]

    def undo(self) -> str:
        if len(self._done) > 1:
            self._undone.append(self._done.pop())
        return self.current()

    def redo(self) -> str:
        if self._undone:
            self._done.append(self._undone.pop())
        return self.current()

    def can_undo(self) -> bool:
        return len(self._done) > 1

    def can_redo(self) -> bool:
        return bool(self._undone)
