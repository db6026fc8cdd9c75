"""A small in-test stand-in for libpff's Python API (`pypff`), as `sources.pst` uses it.

Nothing writes PST files, so the PST walk (folders, items, non-mail classes, damaged items,
the password flag, attachments) is tested against these objects, which answer the same
attribute and method names as pypff's `file`, `folder`, `message`, `attachment`,
`record_set` and `record_entry`. A value that is an exception instance is raised when it is
read, as libpff raises on damaged data. `install(monkeypatch, pst)` makes `import pypff`
return a module whose `file()` opens `pst`.
"""

from __future__ import annotations

import datetime as dt
import types
from typing import Any

import pytest

# MAPI property tags (MS-OXPROPS), as sources.pst reads them.
MESSAGE_CLASS = 0x001A
SENDER_NAME, SENDER_EMAIL, SENDER_SMTP = 0x0C1A, 0x0C1F, 0x5D01
RECIPIENT_TYPE, DISPLAY_NAME, EMAIL_ADDRESS, SMTP_ADDRESS = 0x0C15, 0x3001, 0x3003, 0x39FE
INTERNET_MESSAGE_ID = 0x1035
ATTACH_FILENAME, ATTACH_METHOD, ATTACH_LONG_FILENAME, ATTACH_MIME_TAG = (
    0x3704, 0x3705, 0x3707, 0x370E)
PST_PASSWORD = 0x67FF


class _Object:
    """Attributes from keyword arguments; an exception instance is raised when read."""

    def __init__(self, **attrs: Any) -> None:
        self.__dict__["_attrs"] = attrs

    def __getattr__(self, name: str) -> Any:
        attrs = self.__dict__["_attrs"]
        if name not in attrs:
            raise AttributeError(name)
        value = attrs[name]
        if isinstance(value, BaseException):
            raise value
        return value


class Entry(_Object):
    """A record entry: a property with its tag and value."""

    def __init__(self, tag: int, value: object) -> None:
        text = value if isinstance(value, str | BaseException) else ValueError("not a string")
        number = value if isinstance(value, int | BaseException) else ValueError("not a number")
        super().__init__(entry_type=tag, data_as_string=text, data_as_integer=number)


class RecordSet(_Object):
    def __init__(self, props: dict[int, object]) -> None:
        super().__init__(entries=[Entry(tag, value) for tag, value in props.items()])


def _record_sets(props: dict[int, object] | None) -> dict[str, Any]:
    sets = [RecordSet(props)] if props is not None else []
    return {"number_of_record_sets": len(sets), "record_sets": sets}


class Attachment(_Object):
    """An attachment: data (`read_buffer`) or an embedded item (`get_sub_item(0)`)."""

    def __init__(self, name: str, data: bytes = b"", *, mimetype: str = "",
                 embedded: Message | None = None, method: int = 1, **attrs: Any) -> None:
        props: dict[int, object] = {ATTACH_LONG_FILENAME: name, ATTACH_METHOD: method}
        if mimetype:
            props[ATTACH_MIME_TAG] = mimetype
        if embedded is not None:
            props[ATTACH_METHOD] = 5
        items = [embedded] if embedded is not None else []
        super().__init__(**{"size": len(data), "number_of_sub_items": len(items),
                            "_data": data, "_items": items, **_record_sets(props), **attrs})

    def get_record_set(self, index: int) -> RecordSet:
        sets: list[RecordSet] = self.record_sets
        return sets[index]

    def read_buffer(self, size: int) -> bytes:
        data: bytes = self._data
        return data[:size]

    def get_sub_item(self, index: int) -> Message:
        items: list[Message] = self._items
        return items[index]


class Message(_Object):
    """A mail item (pypff `message`): it has `get_plain_text_body`, which non-mail items
    built with `NonMail` lack."""

    def __init__(self, identifier: int, *, subject: str = "Case notes",
                 message_class: str = "IPM.Note", sender: tuple[str, str] | None = (
                     "Agent", "agent@tracecall.co.uk"),
                 to: list[tuple[str, str]] | None = None, cc: list[tuple[str, str]] | None = None,
                 plain: bytes | BaseException | None = b"Hello\r\n", html: object = None,
                 rtf: object = None, headers: object = None,
                 submitted: object = dt.datetime(2021, 1, 11, 9, 30),
                 attachments: list[Attachment] | None = None,
                 props: dict[int, object] | None = None, **attrs: Any) -> None:
        base: dict[int, object] = {MESSAGE_CLASS: message_class}
        if sender is not None:
            base[SENDER_NAME], base[SENDER_SMTP] = sender
        base.update(props or {})
        people = [(name, addr, 1) for name, addr in to or [("Someone", "someone@gmail.com")]]
        people += [(name, addr, 2) for name, addr in cc or []]
        recipients = _Object(record_sets=[
            RecordSet({RECIPIENT_TYPE: kind, DISPLAY_NAME: name, SMTP_ADDRESS: addr})
            for name, addr, kind in people])
        atts = attachments or []
        super().__init__(**{
            "identifier": identifier, "subject": subject, "plain_text_body": plain,
            "html_body": html, "rtf_body": rtf, "transport_headers": headers,
            "client_submit_time": submitted, "delivery_time": None, "recipients": recipients,
            "number_of_attachments": len(atts), "_attachments": atts,
            **_record_sets(base), **attrs})

    def get_record_set(self, index: int) -> RecordSet:
        sets: list[RecordSet] = self.record_sets
        return sets[index]

    def get_attachment(self, index: int) -> Attachment:
        atts: list[Attachment] = self._attachments
        return atts[index]

    def get_plain_text_body(self) -> object:
        return self.plain_text_body


class NonMail(_Object):
    """A contact, appointment or other item libpff gives as its own object type."""

    def __init__(self, message_class: str) -> None:
        super().__init__(**_record_sets({MESSAGE_CLASS: message_class}))

    def get_record_set(self, index: int) -> RecordSet:
        sets: list[RecordSet] = self.record_sets
        return sets[index]


class Folder(_Object):
    def __init__(self, name: str | BaseException, items: list[object] | None = None,
                 folders: list[Folder | BaseException] | None = None, **attrs: Any) -> None:
        items = items or []
        folders = folders or []
        super().__init__(**{"name": name, "number_of_sub_messages": len(items),
                            "number_of_sub_folders": len(folders), "_items": items,
                            "_folders": folders, **attrs})

    def get_sub_message(self, index: int) -> object:
        item = self._items[index]
        if isinstance(item, BaseException):
            raise item
        return item

    def get_sub_folder(self, index: int) -> Folder:
        folder = self._folders[index]
        if isinstance(folder, BaseException):
            raise folder
        assert isinstance(folder, Folder)
        return folder


class Pst(_Object):
    """A PST file: its root folder, the password flag, orphan items, and what `open` does."""

    def __init__(self, root: Folder, *, password: bool = False, orphans: int = 0,
                 open_error: BaseException | None = None) -> None:
        store = _Object(**_record_sets({PST_PASSWORD: 0x1234ABCD} if password else {}))
        store.__dict__["get_record_set"] = lambda i: store.record_sets[i]
        super().__init__(root_folder=root, message_store=store,
                         number_of_orphan_items=orphans, _open_error=open_error, closed=False,
                         opened=None)

    def open(self, path: str) -> None:
        if self._open_error is not None:
            raise self._open_error
        self._attrs["opened"] = path

    def open_file_object(self, stream: Any) -> None:
        """libpff's open of a file-like object (a PST inside an archive): records its bytes."""
        if self._open_error is not None:
            raise self._open_error
        self._attrs["opened"] = stream.read()

    def close(self) -> None:
        self._attrs["closed"] = True


def install(monkeypatch: pytest.MonkeyPatch, pst: Pst) -> None:
    """`import pypff` gives a module whose `file()` is `pst`."""
    module = types.ModuleType("pypff")
    module.file = lambda: pst  # type: ignore[attr-defined]
    monkeypatch.setitem(__import__("sys").modules, "pypff", module)
