"""Fillable PDF forms (AcroForm): field values read with pypdf.

A filled field's value lives in the form dictionary, not in the page text, and a field's
name is whatever the form designer typed ("Text12", "Child_Surname"). So each field is
read from the AcroForm tree here, and :mod:`parsers.pdf.field_labels` finds the label a
person sees: the tooltip, the words printed beside or above the widget, else the name.
Check boxes are judged as pdf.js and Acrobat do: on when ``/V`` names a state other than
``/Off`` (the export name is not always ``/Yes``), else by the widget's ``/AS``.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass, field
from typing import Any

from pypdf import PdfReader
from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject

_PUSHBUTTON = 1 << 16
_RADIO = 1 << 15
_MAX_DEPTH = 32
_INHERITED = ("/FT", "/Ff", "/V", "/Opt")


@dataclass
class Widget:
    """One place a field shows on a page (a radio group has one per option).

    ``rect`` is (x0, y0, x1, y1) in PDF user space: pdfplumber's ``x0`` is the same, and its
    ``top`` is the page height minus ``y1``, wherever the media box starts.
    """

    name: str
    kind: str  # text | checkbox | radio | choice | signature
    value: str
    page: int | None = None
    rect: tuple[float, float, float, float] | None = None
    tooltip: str | None = None
    checked: bool | None = None
    export: str | None = None


@dataclass
class FormFields:
    widgets: list[Widget] = field(default_factory=list)
    javascript: bool = False
    xfa: bool = False

    @property
    def any_filled(self) -> bool:
        return any(w.checked if w.kind in ("checkbox", "radio") else w.value for w in self.widgets)

    def on_page(self, page: int) -> list[Widget]:
        return [w for w in self.widgets if w.page == page]


def read_form_fields(content: bytes) -> FormFields:
    """Every terminal field of the AcroForm, with its widgets' pages and positions.

    The caller has already opened the file with pdfplumber (so it is a PDF and the empty
    user password works); errors here propagate to its handler.
    """
    reader = PdfReader(io.BytesIO(content), strict=False)
    if reader.is_encrypted:
        reader.decrypt("")
    root = _resolve(reader.trailer.get("/Root"))
    found = FormFields()
    form = _resolve(root.get("/AcroForm")) if isinstance(root, DictionaryObject) else None
    if not isinstance(form, DictionaryObject):
        return found
    found.xfa = "/XFA" in form
    pages = _widget_pages(reader)
    seen: set[int] = set()
    for ref in _resolve(form.get("/Fields")) or []:
        _walk(ref, "", {}, 0, seen, found, pages)
    return found


def _resolve(obj: Any) -> Any:
    return obj.get_object() if isinstance(obj, IndirectObject) else obj


def _widget_pages(reader: PdfReader) -> dict[int, int]:
    """Annotation object number -> 1-based page."""
    pages: dict[int, int] = {}
    for number, page in enumerate(reader.pages, start=1):
        for ref in _resolve(page.get("/Annots")) or []:
            if isinstance(ref, IndirectObject):
                pages[ref.idnum] = number
    return pages


def _walk(ref: Any, parent: str, inherited: dict[str, Any], depth: int, seen: set[int],
          found: FormFields, pages: dict[int, int]) -> None:
    """Depth-first through ``/Kids``; guarded against cycles and absurd depth."""
    node = _resolve(ref)
    key = ref.idnum if isinstance(ref, IndirectObject) else id(node)
    if not isinstance(node, DictionaryObject) or key in seen or depth > _MAX_DEPTH:
        return
    seen.add(key)
    partial = node.get("/T")
    name = ".".join(part for part in (parent, _text(partial)) if part)
    own = {**inherited, **{k: node[k] for k in _INHERITED if k in node}}
    if "/AA" in node or _is_script(node.get("/A")):
        found.javascript = True
    listed = _resolve(node.get("/Kids"))
    kids = [kid for kid in listed if isinstance(_resolve(kid), DictionaryObject)] if isinstance(
        listed, ArrayObject) else []
    children = [kid for kid in kids if "/T" in _resolve(kid)]
    for kid in children:
        _walk(kid, name, own, depth + 1, seen, found, pages)
    widgets = [kid for kid in kids if kid not in children]
    if not widgets and "/Rect" in node:
        widgets = [ref]
    if widgets or not children:
        found.widgets.extend(_field_widgets(name, node, own, widgets, pages, found))


def _is_script(action: Any) -> bool:
    action = _resolve(action)
    return isinstance(action, DictionaryObject) and action.get("/S") in ("/JavaScript", "/Launch")


def _field_widgets(name: str, node: DictionaryObject, own: dict[str, Any], widgets: list[Any],
                   pages: dict[int, int],
                   found: FormFields) -> list[Widget]:
    kind = _kind(own)
    if kind is None:
        return []
    tooltip = _text(node.get("/TU")) or None
    refs = widgets or [None]
    out: list[Widget] = []
    value = own.get("/V")
    for ref in refs:
        widget = _resolve(ref) if ref is not None else node
        if _is_script(widget.get("/A")) or "/AA" in widget:
            found.javascript = True
        page, rect = _place(ref, widget, pages)
        item = Widget(name, kind, "", page, rect, tooltip)
        if kind in ("checkbox", "radio"):
            item.export = _export(widget)
            item.checked = _checked(value, widget, item.export, single=len(refs) == 1)
            item.value = _readable_name(item.export or "")
        else:
            item.value = _value(value, kind, own.get("/Opt"))
        out.append(item)
        if kind not in ("checkbox", "radio"):
            break
    return out


def _kind(own: dict[str, Any]) -> str | None:
    ft = own.get("/FT")
    flags = int(_resolve(own.get("/Ff", 0)) or 0)
    if ft == "/Tx":
        return "text"
    if ft == "/Ch":
        return "choice"
    if ft == "/Sig":
        return "signature"
    if ft == "/Btn" and not flags & _PUSHBUTTON:
        return "radio" if flags & _RADIO else "checkbox"
    return None


def _place(ref: Any, widget: DictionaryObject, pages: dict[int, int]) -> tuple[int | None, Any]:
    page = pages.get(ref.idnum) if isinstance(ref, IndirectObject) else None
    rect = _resolve(widget.get("/Rect"))
    if not isinstance(rect, ArrayObject) or len(rect) != 4:
        return page, None
    x0, y0, x1, y1 = (float(_resolve(v)) for v in rect)
    x0, x1 = sorted((x0, x1))
    y0, y1 = sorted((y0, y1))
    return page, (x0, y0, x1, y1)


def _export(widget: DictionaryObject) -> str | None:
    """The widget's "on" appearance name (/Yes, /On, /Oui, /Choice1)."""
    appearance = _resolve(widget.get("/AP"))
    normal = _resolve(appearance.get("/N")) if isinstance(appearance, DictionaryObject) else None
    if isinstance(normal, DictionaryObject):
        for key in normal:
            if key != "/Off":
                return str(key)
    state = widget.get("/AS")
    return str(state) if state not in (None, "/Off") else None


def _checked(value: Any, widget: DictionaryObject, export: str | None, *, single: bool) -> bool:
    value = _resolve(value)
    if value is not None and str(value) not in ("", "/"):
        if str(value) == "/Off":
            return False
        if single or str(value) == export:
            return True
        if export is not None:
            return False
    state = widget.get("/AS")
    return state is not None and str(state) != "/Off"


def _value(value: Any, kind: str, options: Any = None) -> str:
    """A field's value as text; a choice shows its display text, not its export value."""
    value = _resolve(value)
    if kind == "signature":
        if isinstance(value, DictionaryObject):
            return _text(value.get("/Name")) or "digitally signed"
        return ""
    shown = _choice_labels(options) if kind == "choice" else {}
    if isinstance(value, ArrayObject):
        return "; ".join(shown.get(_text(item), _text(item)) for item in value)
    return shown.get(_text(value), _text(value))


def _choice_labels(options: Any) -> dict[str, str]:
    """/Opt entries given as [export, display] pairs: export value -> display text."""
    labels: dict[str, str] = {}
    listed = _resolve(options)
    for item in listed if isinstance(listed, ArrayObject) else []:
        pair = _resolve(item)
        if isinstance(pair, ArrayObject) and len(pair) == 2:
            labels[_text(pair[0])] = _text(pair[1])
    return labels


def _text(value: Any) -> str:
    value = _resolve(value)
    if value is None or isinstance(value, (DictionaryObject, ArrayObject)):
        return ""
    if isinstance(value, bytes):
        value = value.decode("latin-1")
    text = str(value)
    if text.startswith("/"):
        text = _readable_name(text)
    return text.replace("\r\n", "\n").replace("\r", "\n").strip()


def _readable_name(name: str) -> str:
    """A PDF name or field name as words: "/Left#20the#20UK" -> "Left the UK"."""
    name = name.lstrip("/")
    name = re.sub(r"#([0-9A-Fa-f]{2})", lambda m: chr(int(m.group(1), 16)), name)
    return " ".join(name.replace("_", " ").split())


def readable_field_name(name: str) -> str:
    """"Child_Surname" -> "Child Surname", "pupil.dob" -> "pupil dob", "DateOfBirth" -> "Date Of Birth"."""
    name = re.sub(r"(?<=[a-z])(?=[A-Z])", " ", name)
    return " ".join(re.sub(r"[._\-]+", " ", name).split())
