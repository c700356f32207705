#!/usr/bin/env python3
"""Helper of scripts/encode-diff: rewrite a dump tree in place.

  encode-diff-prep.py neutral DIR      remove what a sqsdump Decision
      treats differently from upstream: queue tags (REQ-ENC-9) and raw
      attribute bytes that Go's json.Marshal re-escapes (REQ-ENC-7);
      `<`, `>`, `&`, U+2028 and U+2029 are written as \\u escapes, which
      changes no JSON value; and queues whose directory name is not
      UTF-8 (REQ-ENC-14: upstream restores the lossy name), which are
      removed together with their manifest entry.
  encode-diff-prep.py upstream DIR     add wall_time_iso to MANIFEST.json
      (upstream's encoder requires it).

JSON is re-serialised; both encoders parse it, so spelling is free.
CHECKSUMS is rewritten after every change.
"""
import hashlib, json, os, shutil, sys, urllib.parse

def go_escape(text):
    for a, b in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"),
                 ("\u2028", "\\u2028"), ("\u2029", "\\u2029")):
        text = text.replace(a, b)
    return text

def rewrite_checksums(root):
    files = []
    for d, _, names in os.walk(root):
        for n in names:
            rel = os.path.relpath(os.path.join(d, n), root)
            if rel != "CHECKSUMS":
                files.append(rel)
    with open(os.path.join(root, "CHECKSUMS"), "w") as out:
        for rel in sorted(files, key=lambda p: p.encode()):
            digest = hashlib.sha256(open(os.path.join(root, rel), "rb").read()).hexdigest()
            out.write(f"{digest}  {rel}\n")

def main(mode, root):
    if mode == "upstream":
        p = os.path.join(root, "MANIFEST.json")
        m = json.load(open(p))
        m.setdefault("wall_time_iso", "2026-01-01T00:00:00.000Z")
        open(p, "w").write(json.dumps(m, indent=2))
        rewrite_checksums(root)
        return
    if mode != "neutral":
        sys.exit(f"encode-diff-prep.py: unknown mode {mode}")
    sqs = os.path.join(root, "sqs")
    for qd in sorted(os.listdir(sqs)) if os.path.isdir(sqs) else []:
        qp = os.path.join(sqs, qd, "_queue.json")
        q = json.load(open(qp))
        try:
            urllib.parse.unquote_to_bytes(qd).decode("utf-8")
        except UnicodeDecodeError:
            shutil.rmtree(os.path.join(sqs, qd))
            mp = os.path.join(root, "MANIFEST.json")
            m = json.load(open(mp))
            listed = m.get("adapters", {}).get("sqs", {}).get("queues")
            if isinstance(listed, list) and q.get("name") in listed:
                listed.remove(q.get("name"))
                open(mp, "w").write(json.dumps(m, indent=2))
            continue
        q.pop("tags", None)
        open(qp, "w", encoding="utf-8").write(json.dumps(q, ensure_ascii=False, indent=2))
        mp = os.path.join(sqs, qd, "messages.jsonl")
        if not os.path.exists(mp):
            continue
        lines = open(mp, encoding="utf-8", newline="").read().split("\n")[:-1]
        out = [go_escape(line) for line in lines]
        open(mp, "w", encoding="utf-8", newline="").write("".join(l + "\n" for l in out))
    rewrite_checksums(root)

if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
