#!/usr/bin/env python3
"""Validate the offer/need relevance-evaluation set (BEIR layout).

Run from the repository root:  python3 tests/data/eval/check.py
Prints a summary and exits non-zero if any rule is violated.
"""

import collections
import csv
import json
import os
import sys
import unicodedata

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", "..", ".."))
TAXONOMY = os.path.join(ROOT, "crates", "domain", "data")

CORPUS = os.path.join(HERE, "corpus.jsonl")
QUERIES = os.path.join(HERE, "queries.jsonl")
QRELS = os.path.join(HERE, "qrels.tsv")

LANGUAGES = {"vi", "en"}
IP_STATUSES = {"patent_granted", "patent_pending", "utility_solution", "know_how", "copyright", "none"}
NUMBERED_IP = {"patent_granted", "patent_pending", "utility_solution"}
TRANSFER_MODES = {"licence", "assignment", "joint_development", "technical_service", "equipment_sale", "investment"}
OFFER_ORG_KINDS = {"research_institute", "university", "startup"}
CURRENCIES = {"VND", "USD"}

EXPECTED_OFFERS = 160
EXPECTED_NEEDS = 45
MIN_NODIAC = 8
MIN_CROSS = 8
MIN_AREAS = 10          # sector codes ...
MIN_PER_AREA = 8        # ... each carried by at least this many offers
AVG_POSITIVE = (4.0, 8.0)

errors = []


def err(msg):
    errors.append(msg)


def is_vietnamese_diacritic(ch):
    """A letter carrying a Vietnamese diacritic (tone mark, breve, circumflex, horn) or đ/Đ."""
    if ch in "đĐ":
        return True
    if not ch.isalpha():
        return False
    decomposed = unicodedata.normalize("NFD", ch)
    return len(decomposed) > 1 and decomposed[0].isascii()


def fold(text):
    """Lower case without diacritics, as the service compares keywords."""
    stripped = "".join(c for c in unicodedata.normalize("NFD", text) if not unicodedata.combining(c))
    return stripped.replace("đ", "d").replace("Đ", "D").casefold().strip()


def diacritic_letters(text):
    return [c for c in text if is_vietnamese_diacritic(c)]


def word_diacritic_ratio(text):
    words = [w for w in text.split() if any(c.isalpha() for c in w)]
    if not words:
        return 0.0
    return sum(1 for w in words if diacritic_letters(w)) / len(words)


def strings(value):
    """Every string inside a JSON value."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, list):
        for v in value:
            yield from strings(v)
    elif isinstance(value, dict):
        for k, v in value.items():
            yield from strings(k)
            yield from strings(v)


def load_jsonl(path, label):
    records = []
    if not os.path.exists(path):
        err(f"{label}: {path} is missing")
        return records
    with open(path, encoding="utf-8") as f:
        for lineno, line in enumerate(f, 1):
            if not line.strip():
                err(f"{label}:{lineno}: empty line")
                continue
            try:
                rec = json.loads(line)
            except json.JSONDecodeError as e:
                err(f"{label}:{lineno}: not valid JSON ({e})")
                continue
            if not isinstance(rec, dict):
                err(f"{label}:{lineno}: not a JSON object")
                continue
            rec["__line"] = lineno
            records.append(rec)
    return records


def load_taxonomy():
    with open(os.path.join(TAXONOMY, "sectors.json"), encoding="utf-8") as f:
        sectors = {s["code"]: s for s in json.load(f)}
    with open(os.path.join(TAXONOMY, "provinces.json"), encoding="utf-8") as f:
        provinces = {p["code"]: p for p in json.load(f)["provinces"]}
    return sectors, provinces


def check_length(where, field, text, lo, hi):
    n = len(text)
    if not lo <= n <= hi:
        err(f"{where}: {field} has {n} characters, expected {lo}–{hi}")


def check_price(where, price):
    if price is None:
        return
    if not isinstance(price, dict) or set(price) != {"min", "max", "currency", "negotiable"}:
        err(f"{where}: price must be null or an object with min, max, currency, negotiable")
        return
    lo, hi = price["min"], price["max"]
    for name, v in (("min", lo), ("max", hi)):
        if v is not None and (not isinstance(v, int) or isinstance(v, bool) or v < 0):
            err(f"{where}: price.{name} must be a non-negative integer or null")
    if isinstance(lo, int) and isinstance(hi, int) and lo > hi:
        err(f"{where}: price.min > price.max")
    if price["currency"] not in CURRENCIES:
        err(f"{where}: price.currency {price['currency']!r} not in {sorted(CURRENCIES)}")
    if not isinstance(price["negotiable"], bool):
        err(f"{where}: price.negotiable must be a boolean")
    elif lo is None and hi is None and not price["negotiable"]:
        err(f"{where}: price gives neither min nor max and is not negotiable")


def check_common(where, rec, meta, sectors, provinces, title):
    lang = meta.get("language")
    if lang not in LANGUAGES:
        err(f"{where}: language {lang!r} not in {sorted(LANGUAGES)}")
    check_length(where, "title", title, 5, 200)
    secs = meta.get("sectors")
    if not isinstance(secs, list) or not 1 <= len(secs) <= 10:
        err(f"{where}: sectors must be a list of 1–10 codes")
        secs = []
    if len(set(secs)) != len(secs):
        err(f"{where}: duplicate sector codes")
    for code in secs:
        s = sectors.get(code)
        if s is None:
            err(f"{where}: sector {code!r} is not in sectors.json")
        elif s["level"] == "field":
            err(f"{where}: sector {code!r} is a field; use a subfield or topic code")
    kws = meta.get("keywords")
    if not isinstance(kws, list) or not 1 <= len(kws) <= 20:
        err(f"{where}: keywords must be a list of 1–20 strings")
        kws = []
    for kw in kws:
        if not isinstance(kw, str) or not 1 <= len(kw.strip()) <= 60:
            err(f"{where}: keyword {kw!r} must be 1–60 characters")
    folded = [fold(k) for k in kws if isinstance(k, str)]
    if len(set(folded)) != len(folded):
        err(f"{where}: duplicate keywords (ignoring case and diacritics)")
    trl = meta.get("trl")
    if not isinstance(trl, int) or isinstance(trl, bool) or not 1 <= trl <= 9:
        err(f"{where}: trl {trl!r} must be an integer 1–9")
    modes = meta.get("transfer_modes")
    if not isinstance(modes, list) or not modes:
        err(f"{where}: transfer_modes must be a non-empty list")
        modes = []
    for m in modes:
        if m not in TRANSFER_MODES:
            err(f"{where}: transfer mode {m!r} not in {sorted(TRANSFER_MODES)}")
    if len(set(modes)) != len(modes):
        err(f"{where}: duplicate transfer modes")
    if meta.get("province") not in provinces:
        err(f"{where}: province {meta.get('province')!r} is not a code in provinces.json")
    check_price(where, meta.get("price"))
    org = meta.get("organisation")
    if not isinstance(org, str) or len(org.strip()) < 3:
        err(f"{where}: organisation missing")
    for s in strings({k: v for k, v in rec.items() if k != "__line"}):
        if unicodedata.normalize("NFC", s) != s:
            err(f"{where}: text is not NFC-normalised: {s[:60]!r}")
        if any(unicodedata.category(c) == "Cc" and c not in "\n\t" for c in s):
            err(f"{where}: control character in {s[:60]!r}")


def check_language(where, lang, parts, typed_without_diacritics=False):
    text = " ".join(parts)
    if lang == "en" or typed_without_diacritics:
        found = diacritic_letters(text)
        if found:
            what = "typed_without_diacritics" if typed_without_diacritics else "English"
            err(f"{where}: {what} text contains Vietnamese diacritic letters: {''.join(sorted(set(found)))}")
    elif lang == "vi":
        ratio = word_diacritic_ratio(text)
        if ratio < 0.3:
            err(f"{where}: Vietnamese text has diacritics on only {ratio:.0%} of words")


def main():
    sectors, provinces = load_taxonomy()
    corpus = load_jsonl(CORPUS, "corpus.jsonl")
    queries = load_jsonl(QUERIES, "queries.jsonl")

    # ------------------------------------------------------------------ corpus
    offers = {}
    titles = collections.Counter()
    for rec in corpus:
        where = f"corpus.jsonl:{rec['__line']}"
        oid = rec.get("_id")
        if not isinstance(oid, str) or not oid:
            err(f"{where}: missing _id")
            continue
        where = f"corpus {oid}"
        if oid in offers:
            err(f"{where}: duplicate _id")
        offers[oid] = rec
        if set(rec) - {"__line"} != {"_id", "title", "text", "metadata"}:
            err(f"{where}: keys must be _id, title, text, metadata")
        meta = rec.get("metadata") or {}
        title = rec.get("title") or ""
        summary, description = meta.get("summary") or "", meta.get("description") or ""
        titles[fold(title)] += 1
        if meta.get("kind") != "offer":
            err(f"{where}: metadata.kind must be 'offer'")
        if rec.get("text") != summary + " " + description:
            err(f"{where}: text != summary + ' ' + description")
        check_length(where, "summary", summary, 80, 500)
        check_length(where, "description", description, 300, 1500)
        check_common(where, rec, meta, sectors, provinces, title)
        check_language(where, meta.get("language"), [title, summary, description])
        ip = meta.get("ip_status")
        nums = meta.get("patent_numbers")
        if ip not in IP_STATUSES:
            err(f"{where}: ip_status {ip!r} not in {sorted(IP_STATUSES)}")
        if not isinstance(nums, list):
            err(f"{where}: patent_numbers must be a list")
            nums = []
        if nums and ip not in NUMBERED_IP:
            err(f"{where}: patent_numbers given with ip_status {ip!r}")
        if ip in NUMBERED_IP and not nums:
            err(f"{where}: ip_status {ip!r} without patent_numbers")
        for n in nums:
            if not isinstance(n, str) or not n[:2] in ("1-", "2-") or not n.replace("-", "").isdigit():
                err(f"{where}: patent number {n!r} is not in Vietnamese style (1-0012345, 2-0001234, 1-2023-01234)")
        if meta.get("organisation_kind") not in OFFER_ORG_KINDS:
            err(f"{where}: organisation_kind {meta.get('organisation_kind')!r} not in {sorted(OFFER_ORG_KINDS)}")
    for t, c in titles.items():
        if c > 1:
            err(f"corpus: title used {c} times: {t!r}")

    # ----------------------------------------------------------------- queries
    needs = {}
    for rec in queries:
        where = f"queries.jsonl:{rec['__line']}"
        nid = rec.get("_id")
        if not isinstance(nid, str) or not nid:
            err(f"{where}: missing _id")
            continue
        where = f"query {nid}"
        if nid in needs or nid in offers:
            err(f"{where}: duplicate _id")
        needs[nid] = rec
        if set(rec) - {"__line"} != {"_id", "text", "metadata"}:
            err(f"{where}: keys must be _id, text, metadata")
        meta = rec.get("metadata") or {}
        title, summary = meta.get("title") or "", meta.get("summary") or ""
        description = meta.get("description") or ""
        if meta.get("kind") != "need":
            err(f"{where}: metadata.kind must be 'need'")
        if rec.get("text") != title + " " + summary:
            err(f"{where}: text != title + ' ' + summary")
        check_length(where, "summary", summary, 80, 500)
        check_length(where, "description", description, 150, 800)
        check_common(where, rec, meta, sectors, provinces, title)
        if meta.get("organisation_kind") != "enterprise":
            err(f"{where}: organisation_kind must be 'enterprise'")
        nodiac = meta.get("typed_without_diacritics")
        search = meta.get("search")
        if not isinstance(search, str) or not 1 <= len(search.split()) <= 8:
            err(f"{where}: metadata.search must be the 1-8 words typed into a search box")
        elif nodiac and not search.isascii():
            err(f"{where}: metadata.search is typed without diacritics like the need")
        cross = meta.get("cross_language")
        if not isinstance(nodiac, bool) or not isinstance(cross, bool):
            err(f"{where}: typed_without_diacritics and cross_language must be booleans")
        if nodiac and meta.get("language") != "vi":
            err(f"{where}: typed_without_diacritics is only meaningful for language 'vi'")
        check_language(where, meta.get("language"),
                       [title, summary, description] + (meta.get("keywords") or []) if nodiac
                       else [title, summary, description],
                       typed_without_diacritics=bool(nodiac))

    # ------------------------------------------------------------------- qrels
    judged = collections.defaultdict(dict)
    if not os.path.exists(QRELS):
        err(f"qrels.tsv: {QRELS} is missing")
    else:
        with open(QRELS, encoding="utf-8", newline="") as f:
            rows = list(csv.reader(f, delimiter="\t"))
        if not rows or rows[0] != ["query-id", "corpus-id", "score"]:
            err("qrels.tsv: header must be 'query-id\\tcorpus-id\\tscore'")
        for lineno, row in enumerate(rows[1:], 2):
            if len(row) != 3:
                err(f"qrels.tsv:{lineno}: expected 3 tab-separated columns")
                continue
            q, c, s = row
            if q not in needs:
                err(f"qrels.tsv:{lineno}: unknown query-id {q!r}")
            if c not in offers:
                err(f"qrels.tsv:{lineno}: unknown corpus-id {c!r}")
            if s not in ("0", "1", "2", "3"):
                err(f"qrels.tsv:{lineno}: score {s!r} must be 0–3")
                continue
            if c in judged[q]:
                err(f"qrels.tsv:{lineno}: pair {q}/{c} judged twice")
            judged[q][c] = int(s)

    positives = []
    cross_count = 0
    for nid, rec in needs.items():
        meta = rec["metadata"]
        grades = judged.get(nid, {})
        if not grades or max(grades.values()) < 2:
            err(f"query {nid}: no offer graded 2 or 3")
            continue
        positives.append(sum(1 for g in grades.values() if g >= 1))
        need_trl = meta.get("trl")
        for oid, g in grades.items():
            offer = offers.get(oid)
            if offer is None:
                continue
            otrl = offer["metadata"].get("trl")
            if g == 3 and isinstance(need_trl, int) and isinstance(otrl, int) and otrl < need_trl:
                err(f"query {nid}: {oid} graded 3 but its TRL {otrl} is below the need's minimum {need_trl}")
        top = max(grades.values())
        best = [o for o, g in grades.items() if g == top and o in offers]
        other_lang = all(offers[o]["metadata"].get("language") != meta.get("language") for o in best)
        if meta.get("cross_language") != other_lang:
            err(f"query {nid}: cross_language is {meta.get('cross_language')} but its best offers "
                f"({', '.join(sorted(best))}) are {'all' if other_lang else 'not all'} in the other language")
        if meta.get("cross_language"):
            cross_count += 1
    unjudged = [nid for nid in needs if nid not in judged]
    if unjudged:
        err(f"queries without judgements: {', '.join(unjudged)}")

    # ------------------------------------------------------------- set-level
    offer_lang = collections.Counter(o["metadata"].get("language") for o in offers.values())
    need_lang = collections.Counter(n["metadata"].get("language") for n in needs.values())
    nodiac_count = sum(1 for n in needs.values() if n["metadata"].get("typed_without_diacritics"))
    if len(offers) != EXPECTED_OFFERS:
        err(f"corpus has {len(offers)} offers, expected {EXPECTED_OFFERS}")
    if len(needs) != EXPECTED_NEEDS:
        err(f"queries has {len(needs)} needs, expected {EXPECTED_NEEDS}")
    if abs(offer_lang["vi"] - offer_lang["en"]) > len(offers) // 10:
        err(f"offer languages unbalanced: {dict(offer_lang)}")
    if abs(need_lang["vi"] - need_lang["en"]) > max(3, len(needs) // 10):
        err(f"need languages unbalanced: {dict(need_lang)}")
    if nodiac_count < MIN_NODIAC:
        err(f"only {nodiac_count} needs typed without diacritics, expected at least {MIN_NODIAC}")
    if cross_count < MIN_CROSS:
        err(f"only {cross_count} cross-language needs, expected at least {MIN_CROSS}")

    by_code = collections.Counter(code for o in offers.values() for code in o["metadata"].get("sectors", []))
    primary = collections.Counter(o["metadata"]["sectors"][0] for o in offers.values() if o["metadata"].get("sectors"))
    big_areas = [c for c, n in by_code.items() if n >= MIN_PER_AREA]
    if len(big_areas) < MIN_AREAS:
        err(f"only {len(big_areas)} sector codes carry at least {MIN_PER_AREA} offers, expected {MIN_AREAS}")
    avg_pos = sum(positives) / len(positives) if positives else 0.0
    if not AVG_POSITIVE[0] <= avg_pos <= AVG_POSITIVE[1]:
        err(f"average of {avg_pos:.2f} judged offers with grade >= 1 per need, expected {AVG_POSITIVE[0]}–{AVG_POSITIVE[1]}")

    # ----------------------------------------------------------------- report
    grade_counts = collections.Counter(g for q in judged.values() for g in q.values())
    print("techex offer/need evaluation set")
    print(f"  offers : {len(offers)}  ({', '.join(f'{k} {v}' for k, v in sorted(offer_lang.items()))})")
    print(f"  needs  : {len(needs)}  ({', '.join(f'{k} {v}' for k, v in sorted(need_lang.items()))}); "
          f"typed without diacritics {nodiac_count}; cross-language {cross_count}")
    print(f"  qrels  : {sum(grade_counts.values())} judged pairs  "
          f"(grade 3: {grade_counts[3]}, 2: {grade_counts[2]}, 1: {grade_counts[1]}, 0: {grade_counts[0]}); "
          f"{avg_pos:.2f} offers with grade >= 1 per need (min {min(positives, default=0)}, max {max(positives, default=0)})")
    print(f"  sector codes used: {len(by_code)}; codes carried by >= {MIN_PER_AREA} offers: {len(big_areas)}")
    for code, n in by_code.most_common():
        name = sectors[code]["name_en"] if code in sectors else "?"
        print(f"    {code:<28} {n:>3} offers ({primary.get(code, 0)} as primary)  {name}")
    provinces_used = collections.Counter(o["metadata"].get("province") for o in offers.values())
    print(f"  offer provinces: {len(provinces_used)} distinct")

    if errors:
        print(f"\n{len(errors)} problem(s):")
        for e in errors:
            print(f"  - {e}")
        return 1
    print("\nOK: no problems found")
    return 0


if __name__ == "__main__":
    sys.exit(main())
