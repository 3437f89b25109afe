"""Write a whole Whoosh segment in one pass: the same files, byte for byte, as Whoosh's own
`SegmentWriter.add_document` + `commit` (tests/test_search_segment.py), at a third of its CPU.

Whoosh's writer analyses each field through its token machinery, puts every posting in a pool
of (field, term, docnum, weight, value) tuples, sorts the pool at commit, then reads each
posting's field length back from the column file it has just written, and writes each term's
postings through several layers of objects. Our documents arrive with their keys already
computed (lists of terms, search.analysis), so here:

- postings are grouped per field and term as they come (document numbers arrive in order:
  only the terms are sorted), and field lengths are kept in memory;
- each term's posting blocks and term info are encoded here, as W3PostingsWriter and
  W3TermInfo encode them (same pickles, same structs), straight into the codec's files;
- stored fields go through the codec's own per-document writer; length columns are written
  at the end, whole (the bytes the column writer would have written a document at a time).

Only what Whoosh's W3 codec does for our schema is reproduced: lists of keys into Frequency
fields, ids into ID fields; any other indexed value goes through the field's own `index()`,
as in Whoosh. Fields with vectors, columns or spelling, and boosts, are refused.
"""

from __future__ import annotations

import gc
import zlib
from array import array
from collections import defaultdict
from collections.abc import Iterable
from pickle import dumps
from typing import Any

from whoosh.analysis.tokenizers import IDTokenizer
from whoosh.codec.whoosh3 import LENGTHS_COLUMN, WHOOSH3_HEADER_MAGIC, W3Codec, W3TermInfo, _lenfield
from whoosh.fields import UnknownFieldError
from whoosh.formats import Existence, Frequency
from whoosh.index import Index
from whoosh.system import emptybytes, pack_int, pack_long, pack_uint
from whoosh.util.numeric import byte_to_length, length_to_byte
from whoosh.writing import SegmentWriter

_ONE = pack_uint(1)  # a frequency of 1, as Frequency.word_values encodes it: every key of ours
_TERMINFO = W3TermInfo._struct

KEYS, IDS, OTHER = "keys", "ids", "other"  # how a field's values are indexed


class _Term:
    """The postings of one term: document numbers in order; `extra` holds (weight, value) of
    the postings that differ from the field's usual (1.0, frequency 1 or no value)."""

    __slots__ = ("docs", "extra")

    def __init__(self) -> None:
        self.docs: list[int] = []
        self.extra: dict[int, tuple[float, bytes]] | None = None


def write_segment(
    ix: Index, docs: Iterable[dict[str, Any]], codec: W3Codec, limitmb: int = 128, compound: bool = True
) -> int:
    """Add `docs` to `ix` as one new segment (numbered in the order given); returns their count.

    Equivalent to `w = ix.writer(codec=codec); w.add_document(**d) for d in docs; w.commit()`."""
    writer = SegmentWriter(ix, codec=codec, limitmb=limitmb, compound=compound)
    collecting = gc.isenabled()
    gc.disable()  # millions of postings, none in a cycle: the collector would only walk them again and again
    try:
        count = _fill(writer, docs)
    except BaseException:
        writer.cancel()
        raise
    finally:
        if collecting:
            gc.enable()
    writer.commit()
    return count


def _mode(field: Any) -> str:
    if field.format.field_boost != 1.0:
        return OTHER
    if type(field.format) is Frequency:
        return KEYS
    if type(field.format) is Existence and type(field.analyzer) is IDTokenizer:
        return IDS
    return OTHER


def _fill(writer: SegmentWriter, docs: Iterable[dict[str, Any]]) -> int:
    schema = writer.schema
    pdw = writer.perdocwriter
    for name, field in schema.items():
        if field.vector or field.column_type or field.separate_spelling():
            raise ValueError(f"generator.speedups.whoosh_segment: field {name} needs Whoosh's own writer")
    modes = {name: _mode(field) for name, field in schema.items() if field.indexed}
    # per field, per term: its postings (terms as str: UTF-8 keeps code-point order, so sorting
    # the str sorts the bytes); terms from a field's own index() are kept by their bytes
    postings: dict[str, dict[str, _Term]] = {name: {} for name in modes}
    generic: dict[str, dict[bytes, list[tuple[int, float, bytes]]]] = {}
    # per scorable field: the length byte of each document, as the length column holds it
    lengths: dict[str, array[int]] = {}
    # total length per field, in the order Whoosh's per-document writer first sees each (the
    # segment, pickled into the table of contents, keeps this dict)
    totals: defaultdict[str, int] = defaultdict(int)
    docnum = writer.docnum
    for fields in docs:
        names = sorted(fields)
        for name in names:
            if name.startswith("_"):
                raise ValueError("generator.speedups.whoosh_segment: boosts and _stored_ values need Whoosh's own writer")
            if name not in schema:
                raise UnknownFieldError(f"No field named {name!r} in {schema}")
        pdw.start_doc(docnum)
        stored = pdw._storedfields
        for name in names:
            value = fields[name]
            if value is None:
                continue
            field = schema[name]
            length = 0
            mode = modes.get(name)
            if mode is None:  # not indexed
                pass
            elif mode is KEYS and isinstance(value, (list, tuple)):
                terms = postings[name]
                counts: dict[str, int] = {}
                for text in value:
                    counts[text] = counts.get(text, 0) + 1
                for text, freq in counts.items():
                    term = terms.get(text)
                    if term is None:
                        term = terms[text] = _Term()
                    term.docs.append(docnum)
                    if freq != 1:
                        if term.extra is None:
                            term.extra = {}
                        term.extra[docnum] = (float(freq), pack_uint(freq))
                    length += freq
            elif mode is IDS and isinstance(value, str):
                term = postings[name].get(value)
                if term is None:
                    term = postings[name][value] = _Term()
                term.docs.append(docnum)
                length = 1
            else:
                bterms = generic.setdefault(name, {})
                for tbytes, freq, weight, vbytes in field.index(value):
                    bterms.setdefault(tbytes, []).append((docnum, weight, vbytes))
                    length += freq
            if length and field.scorable:
                col = lengths.get(name)
                if col is None:
                    col = lengths[name] = array("B")
                if len(col) < docnum:
                    col.extend(bytes(docnum - len(col)))
                col.append(length_to_byte(length))
                totals[name] += length
            if field.stored:
                stored[name] = value
        pdw.finish_doc()
        docnum += 1
    writer.docnum = docnum
    pdw._fieldlengths = totals
    for name, col in lengths.items():
        pdw._create_column(_lenfield(name), LENGTHS_COLUMN)
        colwriter = pdw._get_column(_lenfield(name))
        data = col.tobytes().rstrip(b"\0")  # 0 is the column's default: filled in at its finish
        colwriter._dbfile.write(data)
        colwriter._count = len(data)
        col.extend(bytes(docnum - len(col)))
    _write_postings(writer, postings, generic, lengths, modes)
    writer._added = docnum > writer.docbase
    return docnum - writer.docbase


def _merge_generic(terms: dict[bytes, _Term], items: dict[bytes, list[tuple[int, float, bytes]]], usual: bytes) -> None:
    for tbytes, plist in items.items():
        term = terms.get(tbytes)
        if term is None:
            term = terms[tbytes] = _Term()
        elif plist[0][0] < term.docs[-1]:  # postings from both paths: keep document order
            old = term
            term = terms[tbytes] = _Term()
            merged = sorted([(d, *(old.extra or {}).get(d, (1.0, usual))) for d in old.docs] + plist)
            plist = merged
        for docnum, weight, vbytes in plist:
            term.docs.append(docnum)
            if weight != 1.0 or vbytes != usual:
                if term.extra is None:
                    term.extra = {}
                term.extra[docnum] = (weight, vbytes)


def _write_postings(
    writer: SegmentWriter,
    postings: dict[str, dict[str, _Term]],
    generic: dict[str, dict[bytes, list[tuple[int, float, bytes]]]],
    lengths: dict[str, array[int]],
    modes: dict[str, str],
) -> None:
    fw = writer.fieldwriter
    schema = writer.schema
    postfile = fw._postfile
    tindex = fw._tindex
    codec = writer.codec
    limit = codec._blocklimit
    compression = codec._compression
    if codec._inlinelimit > 1:
        raise ValueError("generator.speedups.whoosh_segment: inlined postings need Whoosh's own writer")
    for name in sorted(postings.keys() | generic.keys()):
        field = schema[name]
        usual = _ONE if type(field.format) is Frequency else emptybytes
        terms = {t.encode("utf-8"): p for t, p in postings.get(name, {}).items()}
        if name in generic:
            _merge_generic(terms, generic[name], usual)
        if not terms:  # only empty values: Whoosh never starts the field (no id in the term file)
            continue
        col = lengths.get(name)
        fixed = field.format.fixed_value_size()
        fw.start_field(name, field)
        prefix = fw._fieldid.to_bytes(2, "big")  # pack_ushort
        pos = postfile.tell()
        out: list[bytes] = []
        for tbytes in sorted(terms):
            term = terms[tbytes]
            data, info = _encode_term(term, usual, col, fixed, limit, compression, pos)
            out.append(data)
            pos += len(data)
            tindex.add(prefix + tbytes, info)
            if len(out) >= 4096:
                postfile.write(emptybytes.join(out))
                out.clear()
        postfile.write(emptybytes.join(out))
        fw.finish_field()


def _encode_term(
    term: _Term, usual: bytes, col: array[int] | None, fixed: int | None, limit: int, compression: int, offset: int
) -> tuple[bytes, bytes]:
    """(the term's postings, its term info) as W3PostingsWriter and W3TermInfo write them."""
    docs = term.docs
    extra = term.extra
    parts = [WHOOSH3_HEADER_MAGIC]
    total_weight: float = 0
    t_minlength: int | None = None
    t_maxlength = 0
    t_maxweight: float = 0
    n = len(docs)
    for start in range(0, n, limit):
        ids = docs[start : start + limit]
        if extra is None:
            values = [usual] * len(ids) if usual else []
            total_weight += float(len(ids))  # sum(array("f", [1.0, …]))
            maxweight: float = 1.0
            mini_weights: Any = None
        else:
            pairs = [extra.get(d, (1.0, usual)) for d in ids]
            weights = array("f", [w for w, _ in pairs])
            values = [v for _, v in pairs if v]
            total_weight += sum(weights)
            maxweight = 0
            for w, _ in pairs:
                if w > maxweight:
                    maxweight = w
            if all(w == 1.0 for w in weights):
                mini_weights = None
            elif all(w == weights[0] for w in weights):
                mini_weights = weights[0]
            else:
                mini_weights = tuple(weights)
        if fixed is None or fixed < 0:
            mini_values: Any = tuple(values)
        elif fixed == 0:
            mini_values = None
        else:
            mini_values = emptybytes.join(values)
        # field lengths: none (0) for a field that is not scorable, else what the column's byte
        # stands for (None for a 0 byte), as Whoosh's writer reads them back at commit
        if col is None:
            minlength, maxlength = None, 0
        else:
            given = [byte_to_length(col[d]) for d in ids if col[d]]
            given = [g for g in given if g]
            minlength, maxlength = (min(given), max(given)) if given else (None, 0)
        delta = [ids[0]]
        delta += [b - a for a, b in zip(ids, ids[1:], strict=False)]
        databytes = dumps((tuple(delta), mini_weights, mini_values), 2)
        if compression:
            databytes = zlib.compress(databytes, compression)
        infobytes = dumps(
            (len(ids), ids[-1], maxweight, compression, length_to_byte(minlength), length_to_byte(maxlength)), 2
        )
        blocklength = len(infobytes) + len(databytes)
        parts += [pack_int(-blocklength if start + limit >= n else blocklength), infobytes, databytes]
        # W3TermInfo.add_block
        t_minlength = minlength if t_minlength is None else min(t_minlength, minlength)  # type: ignore[type-var]
        t_maxlength = max(t_maxlength, maxlength)
        t_maxweight = max(t_maxweight, maxweight)
    data = emptybytes.join(parts)
    info = (
        _TERMINFO.pack(
            False,
            total_weight,
            n,
            0 if t_minlength is None else length_to_byte(t_minlength),
            length_to_byte(t_maxlength),
            t_maxweight,
            docs[0],
            docs[-1],
        )
        + pack_long(offset)
        + pack_int(len(data))
    )
    return data, info
