"""Generate large, real text PDFs (Russian and English prose with a real text layer) with matplotlib's PDF backend,
which embeds DejaVu as TrueType so the text extracts. No extra dependency."""
from __future__ import annotations

import random
from pathlib import Path

_RU = ("Комитет рассмотрел отчёт о рисках и утвердил план мероприятий. Бюджет проекта составляет {n} млн руб. "
       "Ответственный за исполнение — {who}. Срок реализации: до {d}.{m}.2025. Выявлено {k} замечаний, все "
       "приняты в работу. Доступность системы за квартал составила 99.{k}%.").split(". ")
_EN = ("The committee reviewed the risk report and approved the action plan. The project budget is {n} million. "
       "{who} is responsible for delivery. The deadline is {d}.{m}.2025. {k} findings were raised and accepted. "
       "System availability for the quarter was 99.{k}%.").split(". ")
_PEOPLE = ["Иванов П.К.", "Петрова О.В.", "Сидоров А.В.", "Козлов Д.С.", "Волкова Е.А."]


def _paragraph(rng: random.Random, lines: list[str]) -> str:
    sentence = rng.choice(lines)
    return sentence.format(n=rng.randint(1, 900), who=rng.choice(_PEOPLE), d=rng.randint(10, 28),
                           m=rng.randint(10, 12), k=rng.randint(1, 9)).rstrip(".") + "."


def make_pdf(path: Path, pages: int, seed: int = 0, lines_per_page: int = 38) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    matplotlib.rcParams["pdf.fonttype"] = 42
    import matplotlib.pyplot as plt
    from matplotlib.backends.backend_pdf import PdfPages

    rng = random.Random(seed)
    path.parent.mkdir(parents=True, exist_ok=True)
    with PdfPages(path) as pdf:
        for page in range(1, pages + 1):
            fig = plt.figure(figsize=(8.27, 11.69))
            fig.text(0.08, 0.96, f"Отчёт / Report — страница {page}", fontsize=12, family="DejaVu Sans")
            for i in range(lines_per_page):
                lang = _RU if (i // 6) % 2 == 0 else _EN
                fig.text(0.08, 0.93 - i * 0.0235, _paragraph(rng, lang)[:110], fontsize=8, family="DejaVu Sans")
            pdf.savefig(fig)
            plt.close(fig)
    return path


if __name__ == "__main__":
    import sys

    print(make_pdf(Path(sys.argv[1]), int(sys.argv[2])))
