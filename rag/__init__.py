"""Quadrate Chat's engine. This is its public surface: surfaces (the web UI, the HTTP APIs, the CLI) import from
here and nowhere else in `rag` (an import-linter contract checks it).

    from config.settings import load_settings
    from rag import build_service

    service = build_service(load_settings())
    response = service.query_engine("demo").query("Сколько критических уязвимостей выявил аудит?")
    print(response, [n.node.metadata["file_name"] for n in response.source_nodes])
"""
from rag.answer.history import message_text
from rag.build import build_service
from rag.errors import (
                        ERRORS_BY_CODE,
                        AccessError,
                        DocumentNotFound,
                        EmbedderMismatch,
                        InternalError,
                        InvalidSpaceName,
                        LLMError,
                        LLMIncomplete,
                        LLMUnavailable,
                        RagError,
                        SpaceError,
                        SpaceExists,
                        SpaceNotFound,
                        StoreError,
                        UnreadableFile,
                        UserExists,
                        UserNotFound,
)
from rag.ingest.readers import supported_suffixes
from rag.service import RagService, default_top_k
from rag.text.language import detect_language
from rag.text.stems import content_stems
from rag.types import (
                        Answer,
                        AnswerDone,
                        AnswerEvent,
                        AnswerFailed,
                        ApiKeyInfo,
                        ChunksWritten,
                        CitationCheck,
                        Document,
                        Feedback,
                        FeedbackSource,
                        FileDone,
                        FileStarted,
                        Generation,
                        IngestEvent,
                        IngestProgress,
                        IngestResult,
                        Principal,
                        ReindexResult,
                        Source,
                        SourcesFound,
                        Space,
                        Token,
                        Usage,
                        UserInfo,
)
from rag.viewer import Box, PageView, TextView, source_view

__all__ = [
                        "ERRORS_BY_CODE",
                        "AccessError",
                        "Answer",
                        "AnswerDone",
                        "AnswerEvent",
                        "AnswerFailed",
                        "ApiKeyInfo",
                        "Box",
                        "ChunksWritten",
                        "CitationCheck",
                        "Document",
                        "DocumentNotFound",
                        "EmbedderMismatch",
                        "Feedback",
                        "FeedbackSource",
                        "FileDone",
                        "FileStarted",
                        "Generation",
                        "IngestEvent",
                        "IngestProgress",
                        "IngestResult",
                        "InternalError",
                        "InvalidSpaceName",
                        "LLMError",
                        "LLMIncomplete",
                        "LLMUnavailable",
                        "PageView",
                        "Principal",
                        "RagError",
                        "RagService",
                        "ReindexResult",
                        "Source",
                        "SourcesFound",
                        "Space",
                        "SpaceError",
                        "SpaceExists",
                        "SpaceNotFound",
                        "StoreError",
                        "TextView",
                        "Token",
                        "UnreadableFile",
                        "Usage",
                        "UserExists",
                        "UserInfo",
                        "UserNotFound",
                        "build_service",
                        "content_stems",
                        "default_top_k",
                        "detect_language",
                        "message_text",
                        "source_view",
                        "supported_suffixes",
]
