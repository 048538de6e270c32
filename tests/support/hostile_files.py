"""Heavy and hostile files, generated: e-mails nested in e-mails, HTML nested deep, a table of a million rows, a file
of an exact size."""
from __future__ import annotations

from pathlib import Path

_TEXT_PART = "Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 8bit\n\n"


def nested_mail(levels: int, forwarded: bool = False) -> bytes:
    """An e-mail whose attachment is an e-mail whose attachment is ... `levels` deep: attached .eml files (8bit:
    each level carries all below it as it is), or with `forwarded`, mails forwarded as attachments
    (message/rfc822, as mail clients forward them)."""
    inner = f"From: a@example.com\nTo: b@example.com\nSubject: leaf\n{_TEXT_PART}Последнее письмо цепочки.\n"
    attached = ("message/rfc822\n" if forwarded else
                "application/octet-stream\nContent-Transfer-Encoding: 8bit\n")
    for i in range(levels):
        inner = (f"From: a@example.com\nTo: b@example.com\nSubject: level {i}\nMIME-Version: 1.0\n"
                 f'Content-Type: multipart/mixed; boundary="b{i}"\n\n--b{i}\n{_TEXT_PART}'
                 + f"Письмо уровня {i}: обсуждаем бюджет, сроки и риски проекта. " * 5
                 + f"\n--b{i}\nContent-Type: {attached}"
                 f'Content-Disposition: attachment; filename="m{i}.eml"\n\n' + inner + f"\n--b{i}--\n")
    return inner.encode()


def deep_html(depth: int) -> bytes:
    """`depth` nested <div>s around one paragraph."""
    return ("<html><head><title>Вложенность</title></head><body>" + "<div>" * depth
            + "<p>Бюджет проекта утверждён: 15 млн руб.</p>" + "</div>" * depth + "</body></html>").encode()


def table_csv(path: Path, rows: int) -> Path:
    """A CSV of `rows` payments (about 45 bytes a row)."""
    with path.open("w", encoding="utf-8") as out:
        out.write("id,date,customer,amount,status\n")
        for i in range(rows):
            out.write(f"{i},2024-{1 + i % 12:02d}-{1 + i % 28:02d},Клиент {i % 5000},{i * 7919 % 100000 / 100:.2f},"
                      f"{'paid' if i % 3 else 'open'}\n")
    return path


def text_of_size(path: Path, size: int) -> Path:
    """A text file of exactly `size` bytes, in lines."""
    line = "Строка отчёта: выручка, расходы, сроки.\n".encode()
    with path.open("wb") as out:
        full, rest = divmod(size, len(line))
        block = line * 1024
        for _ in range(full // 1024):
            out.write(block)
        out.write(line * (full % 1024) + b"x" * rest)
    return path
