"""Small Outlook `.msg` files made in the tests, with aspose-email-foss (a pure-Python MSG/CFB
writer), so that the MSG reader and the attached-.msg walk are tested on every machine."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from aspose.email_foss import msg as mapi
from aspose.email_foss.msg.property_types import PropertyTypeCode

PR_CREATION_TIME = 0x3007
PR_SENDER_SMTP_ADDRESS = 0x5D01
CC, BCC = 2, 3


def outlook_item(
    *,
    subject: str = "Case notes",
    body: str = "Hello",
    sender: tuple[str, str] | None = ("Agent", "agent@tracecall.co.uk"),
    to: Sequence[tuple[str, str]] = (("Someone", "someone@gmail.com"),),
    cc: Sequence[tuple[str, str]] = (),
    bcc: Sequence[tuple[str, str]] = (),
    delivered: dt.datetime | None = dt.datetime(2021, 1, 11, 9, 30, tzinfo=dt.UTC),
    created: dt.datetime | None = None,
    transport_headers: str | None = None,
    message_class: str | None = None,
    message_id: str | None = "<m1@tracecall.co.uk>",
    attachments: Sequence[tuple[str, bytes, str]] = (),
    embedded: Sequence[tuple[str, mapi.MapiMessage]] = (),
) -> mapi.MapiMessage:
    """An Outlook item; `attachments` are (file name, bytes, MIME type)."""
    item = mapi.MapiMessage.create(subject, body)
    if message_class:
        item.message_class = message_class
    if sender is not None:
        item.set_property(mapi.PropertyId.SENDER_NAME, sender[0])
        item.set_property(PR_SENDER_SMTP_ADDRESS, PropertyTypeCode.PTYP_STRING, sender[1])
    if delivered is not None:
        item.set_property(mapi.PropertyId.MESSAGE_DELIVERY_TIME, delivered)
    if created is not None:
        item.set_property(PR_CREATION_TIME, PropertyTypeCode.PTYP_TIME, created)
    if transport_headers is not None:
        item.set_property(mapi.PropertyId.TRANSPORT_MESSAGE_HEADERS, transport_headers)
    if message_id:
        item.set_property(mapi.PropertyId.INTERNET_MESSAGE_ID, message_id)
    for people, kind in ((to, 1), (cc, CC), (bcc, BCC)):
        for name, addr in people:
            item.add_recipient(addr, display_name=name, recipient_type=kind)
    for name, data, mimetype in attachments:
        item.add_attachment(name, data, mime_type=mimetype)
    for name, inner in embedded:
        item.add_embedded_message_attachment(inner, filename=name)
    return item


def msg_bytes(**kwargs: object) -> bytes:
    """The bytes of an `.msg` file holding `outlook_item(**kwargs)`."""
    return bytes(outlook_item(**kwargs).to_bytes())  # type: ignore[arg-type]
