"""The UI's words in Russian and English.

Labels, placeholders and buttons go through gradio's `I18n` (`I18N(key)`): the browser translates them by its
locale. Messages the server writes at run time (notices, warnings, confirmations) take the same words from
`say(lang, key)`, with `lang` from the request's Accept-Language (`ui_language`). Answers follow the language of
the question, not of the browser."""
from __future__ import annotations

import gradio as gr

WORDS: dict[str, tuple[str, str]] = {   # key: (English, Russian)
    "intro": ("Drop documents into a space, then ask questions in Russian or English. Answers stream in with "
              "numbered citations: click [1] to see the passage in its file.",
              "Загрузите документы в пространство и задавайте вопросы по-русски или по-английски. Ответ "
              "приходит по мере генерации, с пронумерованными ссылками: нажмите [1], чтобы увидеть фрагмент "
              "в самом файле."),
    "signed_out": ("Your session has ended: reload the page to sign in again.",
                   "Сеанс завершён: обновите страницу, чтобы войти снова."),
    "not_allowed": ("Your role does not allow this here.", "Ваша роль не позволяет этого здесь."),
    "signed_in_as": ("Signed in as **{user}**", "Вы вошли как **{user}**"),
    "sign_out": ("Sign out", "Выйти"),
    "visitor_banner": ("A shared demo of the space **{space}**: you can ask questions; the documents stay private.",
                       "Демо-доступ к пространству **{space}**: можно задавать вопросы, документы закрыты."),
    "leave_demo": ("Leave the demo", "Выйти из демо"),
    "tab_access": ("Sharing", "Доступ"),
    "share_space_title": ("### Share this space\nA link for visitors without an account: they can chat with this "
                          "space only — no uploads, no deletions, no document list.",
                          "### Поделиться пространством\nСсылка для гостей без учётной записи: они могут только "
                          "задавать вопросы этому пространству — без загрузки, удаления и списка документов."),
    "share_hours": ("Valid for (hours)", "Срок (часов)"), "share_label": ("Label", "Метка"),
    "share_create": ("Create link", "Создать ссылку"), "share_link": ("New link", "Новая ссылка"),
    "share_pick": ("Link to revoke", "Отозвать ссылку"), "share_revoke": ("Revoke", "Отозвать"),
    "share_made": ("Link created: copy it below.", "Ссылка создана: скопируйте её ниже."),
    "share_revoked": ("Link revoked.", "Ссылка отозвана."),
    "members_title": ("### Members of this space", "### Участники пространства"),
    "member_user": ("User", "Пользователь"), "member_role": ("Role", "Роль"),
    "member_set": ("Give role", "Назначить роль"), "member_remove": ("Remove from space", "Убрать из пространства"),
    "member_done": ("Members updated.", "Участники обновлены."),
    "keys_title": ("### My API keys\nFor the REST API and the OpenAI-compatible /v1 endpoint.",
                   "### Мои API-ключи\nДля REST API и OpenAI-совместимого /v1."),
    "key_spaces": ("Spaces (empty: all mine)", "Пространства (пусто — все мои)"),
    "key_scopes": ("Scopes", "Права"), "key_days": ("Valid for (days, 0 = no end)", "Срок (дней, 0 — бессрочно)"),
    "key_create": ("Create key", "Создать ключ"),
    "key_once": ("New key — shown only now, copy it", "Новый ключ — показан только сейчас, скопируйте его"),
    "key_pick": ("Key to revoke", "Отозвать ключ"), "key_revoke": ("Revoke key", "Отозвать ключ"),
    "key_made": ("Key created: copy it now, it is not shown again.",
                 "Ключ создан: скопируйте его сейчас, повторно он не показывается."),
    "key_revoked": ("Key revoked.", "Ключ отозван."),
    "share_chat": ("Share this conversation", "Поделиться беседой"),
    "chat_shared": ("Read-only link to this conversation (a copy; it gives no access to the space), valid {days} "
                    "days: {url}", "Ссылка только для чтения на эту беседу (копия, без доступа к пространству), "
                    "действует {days} дн.: {url}"),
    "tab_chat": ("Chat", "Чат"), "tab_documents": ("Documents", "Документы"), "tab_status": ("Status", "Состояние"),
    # spaces
    "space": ("Space", "Пространство"), "new_space": ("New space", "Новое пространство"),
    "new_space_placeholder": ("e.g. Legal, Project X", "например: Юристы, Проект X"),
    "create_space": ("Create space", "Создать"), "manage_space": ("Manage this space", "Управление пространством"),
    "rename_to": ("New name", "Новое имя"), "rename": ("Rename", "Переименовать"),
    "delete_space": ("Delete this space…", "Удалить пространство…"),
    "delete_space_yes": ("Yes, delete the space", "Да, удалить пространство"), "cancel": ("Cancel", "Отмена"),
    # chat
    "chat": ("Chat", "Чат"), "ask_placeholder": ("Ask about your documents, in Russian or English.",
                                                  "Спросите о документах — по-русски или по-английски."),
    "question_placeholder": ("E.g.: How many critical vulnerabilities did the audit find?",
                             "Например: Сколько критических уязвимостей выявил аудит?"),
    "send": ("Send", "Отправить"), "stop": ("Stop", "Стоп"), "new_chat": ("New chat", "Новый чат"),
    "top_k": ("Sources per answer", "Источников на ответ"),
    "only_files": ("Search only in these documents", "Искать только в этих документах"),
    "only_files_info": ("Empty: the whole space", "Пусто — во всём пространстве"),
    "sources": ("Sources", "Источники"), "viewer": ("Source viewer", "Просмотр источника"),
    "download": ("Download the original", "Скачать оригинал"),
    "feedback_comment": ("What was wrong or right? (optional)", "Что не так или что хорошо? (необязательно)"),
    "send_comment": ("Send comment", "Отправить комментарий"),
    # documents
    "drop_files": ("Drop files here", "Перетащите файлы сюда"), "upload_results": ("Upload results", "Результаты"),
    "documents_in_space": ("Documents in this space", "Документы пространства"),
    "select_documents": ("Select documents", "Выберите документы"),
    "delete_selected": ("Delete selected…", "Удалить выбранные…"),
    "delete_yes": ("Yes, delete them", "Да, удалить"), "reindex": ("Re-index this space", "Переиндексировать"),
    "col_file": ("file", "файл"), "col_status": ("status", "статус"), "col_pages": ("pages", "стр."),
    "col_chunks": ("chunks", "фрагм."), "col_seconds": ("seconds", "секунд"), "col_details": ("details", "подробности"),
    "col_type": ("type", "тип"), "col_size": ("size KB", "КБ"), "col_added": ("added", "добавлен"),
    "col_language": ("language", "язык"),
    # status
    "refresh_status": ("Refresh status", "Обновить"), "status_llm": ("LLM endpoints", "Серверы LLM"),
    "status_spaces": ("Spaces", "Пространства"), "status_figures": ("Live figures", "Показатели"),
    "col_url": ("url", "адрес"), "col_model": ("model", "модель"), "col_state": ("state", "состояние"),
    "col_latency": ("latency ms", "задержка, мс"), "col_in_flight": ("in flight", "в работе"),
    "col_last_ok": ("last ok, s ago", "последний ответ, с назад"), "col_error": ("error", "ошибка"),
    "col_space": ("space", "пространство"), "col_documents": ("documents", "документов"),
    "col_embed_model": ("embedding model", "модель эмбеддингов"), "col_figure": ("figure", "показатель"),
    "col_value": ("value", "значение"),
    # messages written by the server
    "supported": ("Supported: {types}. Each file is indexed into the selected space; unreadable files are "
                  "reported and skipped.", "Поддерживаются: {types}. Каждый файл индексируется в выбранное "
                  "пространство; нечитаемые файлы пропускаются с объяснением."),
    "pick_space": ("⚠️ Create or pick a space first.", "⚠️ Сначала создайте или выберите пространство."),
    "indexing": ("Indexing {n} file(s)…", "Индексирую файлов: {n}…"),
    "indexed_of": ("Indexed {done} of {n}", "Обработано {done} из {n}"),
    "done_in": ("**Done in {s:.1f}s:** {ok} indexed, {skipped} unchanged or duplicate, {failed} failed.",
                "**Готово за {s:.1f} с:** проиндексировано {ok}, без изменений или дубликатов {skipped}, "
                "с ошибкой {failed}."),
    "pick_documents": ("Select documents in the list first.", "Сначала выберите документы в списке."),
    "confirm_delete_docs": ("Delete {names} ({chunks} chunks) from space **{space}**? They are removed from the "
                            "index and their original files are deleted, for everyone.",
                            "Удалить {names} ({chunks} фрагм.) из пространства **{space}**? Они будут удалены "
                            "из индекса вместе с исходными файлами — для всех."),
    "deleted_docs": ("Deleted {names}.", "Удалено: {names}."),
    "no_such_docs": ("⚠️ None of them is in this space any more.", "⚠️ Этих документов в пространстве уже нет."),
    "reindexed": ("Re-indexed **{space}**: {docs} documents, {chunks} chunks in {s:.1f}s.",
                  "Пространство **{space}** переиндексировано: документов {docs}, фрагментов {chunks}, "
                  "за {s:.1f} с."),
    "space_created": ("Space **{name}** is created. Add documents on the Documents tab.",
                      "Пространство **{name}** создано. Добавьте документы на вкладке «Документы»."),
    "space_exists": ("A space named **{name}** already exists: it is selected now.",
                     "Пространство **{name}** уже есть — оно выбрано."),
    "space_renamed": ("Space **{old}** is now **{new}**.", "Пространство **{old}** теперь называется **{new}**."),
    "confirm_delete_space": ("Delete space **{name}** with its {docs} document(s) ({chunks} chunks)? The documents, "
                             "their index and original files are removed for everyone; this cannot be undone.",
                             "Удалить пространство **{name}** с документами ({docs}, фрагментов {chunks})? "
                             "Документы, индекс и исходные файлы будут удалены для всех, без возможности "
                             "восстановления."),
    "space_gone": ("Space **{name}** no longer exists.", "Пространства **{name}** больше нет."),
    "space_deleted": ("Deleted space **{name}**.", "Пространство **{name}** удалено."),
    "bad_name": ("⚠️ A space name must be 1-64 characters, without control characters or slashes.",
                 "⚠️ Имя пространства: от 1 до 64 символов, без управляющих символов и косой черты."),
    "feedback_thanks": ("Thank you: your rating is saved with the question, the answer and its sources.",
                        "Спасибо: оценка сохранена вместе с вопросом, ответом и источниками."),
    "comment_saved": ("Comment saved.", "Комментарий сохранён."),
}

I18N = gr.I18n(en={k: v[0] for k, v in WORDS.items()}, ru={k: v[1] for k, v in WORDS.items()})


def t(key: str):
    """A label the browser translates."""
    return I18N(key)


def headers(lang: str, keys: tuple[str, ...]) -> list[str]:
    """Table headers in `lang` (gradio's I18n does not reach a table's headers, so the server writes them)."""
    return [say(lang, f"col_{k}") for k in keys]


def table(lang: str, keys: tuple[str, ...], rows: list[list]) -> dict:
    """A table's value with its headers in `lang`."""
    return {"data": rows, "headers": headers(lang, keys)}


def ui_language(request: gr.Request | None) -> str:
    """ru or en, by the browser's Accept-Language (its first language that is one of them); en otherwise."""
    header = (request.headers.get("accept-language", "") if request is not None else "") or ""
    for part in header.split(","):
        code = part.split(";")[0].strip().lower()[:2]
        if code in ("ru", "en"):
            return code
    return "en"


def say(lang: str, key: str, **values) -> str:
    english, russian = WORDS[key]
    return (russian if lang == "ru" else english).format(**values)
