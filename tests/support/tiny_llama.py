"""Build a tiny random Llama checkpoint (with a locally trained BPE tokenizer) that vLLM can serve on CPU.

Runs in the vLLM venv (it needs transformers + tokenizers): `python tests/support/tiny_llama.py OUT_DIR`.
Nothing is downloaded: the tokenizer, and then briefly the model, are trained here on a few lines of Russian and
English text, so the model writes words (greedy decoding of random weights gives whitespace and byte fragments).
"""
import sys
from pathlib import Path

CHAT_TEMPLATE = (
    "{% for m in messages %}<|{{ m['role'] }}|>\n{{ m['content'] }}</s>\n{% endfor %}"
    "{% if add_generation_prompt %}<|assistant|>\n{% endif %}"
)
TEXT = [
    "Quadrate Chat answers questions about documents with citations.",
    "Аудит выявил три критических уязвимости в системе обработки платежей.",
    "The answer streams in, in the language of the question.",
    "Ответ приходит потоком на языке вопроса, со ссылками на источники.",
] * 50


def build(out: Path) -> None:
    import torch
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast

    out.mkdir(parents=True, exist_ok=True)
    special = ["<unk>", "<s>", "</s>", "<|system|>", "<|user|>", "<|assistant|>"]
    tok = Tokenizer(models.BPE(unk_token="<unk>"))
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    tok.train_from_iterator(TEXT, trainers.BpeTrainer(vocab_size=512, special_tokens=special,
                                                      initial_alphabet=pre_tokenizers.ByteLevel.alphabet()))
    fast = PreTrainedTokenizerFast(tokenizer_object=tok, unk_token="<unk>", bos_token="<s>", eos_token="</s>",
                                   pad_token="</s>")
    fast.chat_template = CHAT_TEMPLATE
    fast.save_pretrained(out)
    torch.manual_seed(0)
    cfg = LlamaConfig(vocab_size=fast.vocab_size if len(fast) <= fast.vocab_size else len(fast), hidden_size=128,
                      intermediate_size=256, num_hidden_layers=2, num_attention_heads=2, num_key_value_heads=1,
                      max_position_embeddings=16384, bos_token_id=fast.bos_token_id, eos_token_id=fast.eos_token_id,
                      pad_token_id=fast.pad_token_id, tie_word_embeddings=True)
    model = LlamaForCausalLM(cfg)
    train(model, fast)
    model.to(torch.bfloat16).save_pretrained(out, safe_serialization=True)


def train(model, tokenizer, steps: int = 150) -> None:
    """A few seconds of training on TEXT, so that greedy decoding writes words of it (a random model writes byte
    fragments and whitespace, which the app rightly treats as an empty reply)."""
    import torch

    ids = tokenizer("\n".join(TEXT[:4]) + "\n", return_tensors="pt")["input_ids"].repeat(4, 1)
    optimizer = torch.optim.AdamW(model.parameters(), lr=3e-3)
    model.train()
    for _ in range(steps):
        loss = model(input_ids=ids, labels=ids).loss
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    model.eval()


if __name__ == "__main__":
    build(Path(sys.argv[1]))
    print(sys.argv[1])
