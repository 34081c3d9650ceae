"""Floe's Hugging Face server for KServe's `kserve-huggingfaceserver` runtime: transformers encoder models on the kserve SDK.

KServe's huggingfaceserver is not published on PyPI; this module takes its command line (`--model_name`,
`--model_dir` (default /mnt/models, where the storage initializer puts the model), `--model_id`, `--task`,
`--max_length`, `--return_probabilities`, `--disable_lower_case`, `--return_token_type_ids`, `--dtype`) and serves
its encoder tasks with the Hugging Face backend, as its encoder model answers them:

- the task is `--task` or inferred from the model config's architecture (`…ForSequenceClassification` →
  sequence_classification, `…ForMaskedLM` → fill_mask, `…ForTokenClassification` → token_classification);
- V1 `{"instances": ["text", …]}` → `{"predictions": [...]}`; V2: the first input's BYTES data are the texts, the
  answer is `output-0`;
- sequence_classification answers the class index per text (or `{index: probability}` with `--return_probabilities`),
  fill_mask the decoded token(s) at `[MASK]`, token_classification the label index per token.

What differs: the model is read from local files only (no hub downloads; `--model_id` must be a local folder), the
vLLM backend and the OpenAI-compatible endpoints (`/openai/v1/completions`, chat, embeddings) are not served: the
kserve SDK builds its OpenAI types on vLLM, which does not install here without a GPU stack; generative tasks refuse
to start with that reason.

    python floe_hfserver.py --model_name=bert --model_dir=/mnt/models
"""

from __future__ import annotations

import argparse
import os
from typing import Dict, List, Optional, Union

import torch
from kserve import InferRequest, InferResponse, Model, ModelServer, model_server
from kserve.errors import InferenceError, InvalidInput, ModelMissingError
from kserve.utils.utils import get_predict_response
from transformers import AutoConfig, AutoModelForMaskedLM, AutoModelForSequenceClassification, AutoModelForTokenClassification, AutoTokenizer

ENCODER_TASKS = {
    "sequence_classification": AutoModelForSequenceClassification,
    "fill_mask": AutoModelForMaskedLM,
    "token_classification": AutoModelForTokenClassification,
}
ARCHITECTURE_SUFFIXES = {
    "ForSequenceClassification": "sequence_classification",
    "ForMaskedLM": "fill_mask",
    "ForTokenClassification": "token_classification",
    "ForCausalLM": "text_generation",
    "ForConditionalGeneration": "text2text_generation",
}
DTYPES = {"auto": None, "float32": torch.float32, "float16": torch.float16, "bfloat16": torch.bfloat16}


def infer_task(config) -> str:
    for architecture in getattr(config, "architectures", None) or []:
        for suffix, task in ARCHITECTURE_SUFFIXES.items():
            if architecture.endswith(suffix):
                return task
    raise ValueError(f"cannot infer the task from the model's architectures {getattr(config, 'architectures', None)}: pass --task")


class HuggingfaceEncoderModel(Model):
    """One transformers encoder model behind KServe's V1 and V2 endpoints."""

    def __init__(self, name: str, path: str, task: Optional[str], max_length: Optional[int], return_probabilities: bool, do_lower_case: bool, return_token_type_ids: Optional[bool], dtype: Optional[torch.dtype]):
        super().__init__(name)
        self.path = path
        self.task = task
        self.max_length = max_length
        self.return_probabilities = return_probabilities
        self.do_lower_case = do_lower_case
        self.return_token_type_ids = return_token_type_ids
        self.dtype = dtype
        self.tokenizer = None
        self.model = None

    def load(self) -> bool:
        if not os.path.isdir(self.path) or not os.path.isfile(os.path.join(self.path, "config.json")):
            raise ModelMissingError(self.path)
        config = AutoConfig.from_pretrained(self.path, local_files_only=True)
        self.task = self.task or infer_task(config)
        if self.task not in ENCODER_TASKS:
            raise ValueError(f"task {self.task} needs the OpenAI-compatible endpoints, which Floe's Hugging Face server does not serve (the kserve SDK builds them on vLLM)")
        self.tokenizer = AutoTokenizer.from_pretrained(self.path, local_files_only=True, do_lower_case=self.do_lower_case)
        kwargs = {"local_files_only": True, **({"dtype": self.dtype} if self.dtype is not None else {})}
        self.model = ENCODER_TASKS[self.task].from_pretrained(self.path, **kwargs)
        self.model.eval()
        self.ready = True
        return self.ready

    def texts(self, payload: Union[Dict, InferRequest]) -> List[str]:
        if isinstance(payload, InferRequest):
            if not payload.inputs:
                raise InvalidInput("the request has no inputs")
            data = payload.inputs[0].data
            return [d.decode() if isinstance(d, bytes) else str(d) for d in data]
        instances = payload.get("instances") if isinstance(payload, dict) else None
        if not isinstance(instances, list) or not all(isinstance(i, str) for i in instances):
            raise InvalidInput('Expected "instances" to be a list of strings')
        return instances

    async def predict(
        self,
        payload: Union[Dict, InferRequest],
        headers: Optional[Dict[str, str]] = None,
        response_headers: Optional[Dict[str, str]] = None,
    ) -> Union[Dict, InferResponse]:
        texts = self.texts(payload)
        extra = {} if self.return_token_type_ids is None else {"return_token_type_ids": self.return_token_type_ids}
        inputs = self.tokenizer(texts, padding=True, truncation=True, max_length=self.max_length, return_tensors="pt", **extra)
        try:
            with torch.no_grad():
                logits = self.model(**inputs).logits
        except Exception as err:
            raise InferenceError(str(err)) from err
        return get_predict_response(payload, self.postprocess_logits(inputs["input_ids"], logits), self.name)

    def postprocess_logits(self, input_ids: torch.Tensor, logits: torch.Tensor) -> list:
        out: list = []
        if self.task == "sequence_classification":
            if self.return_probabilities:
                probabilities = torch.softmax(logits, dim=-1)
                return [{i: float(p) for i, p in enumerate(row)} for row in probabilities]
            return [int(i) for i in logits.argmax(dim=-1)]
        if self.task == "fill_mask":
            for i in range(logits.shape[0]):
                positions = (input_ids[i] == self.tokenizer.mask_token_id).nonzero(as_tuple=True)[0]
                if self.return_probabilities:
                    probabilities = torch.softmax(logits[i, positions], dim=-1)
                    out.append([{self.tokenizer.decode([t]): float(p[t]) for t in p.topk(5).indices} for p in probabilities])
                else:
                    out.append(self.tokenizer.decode(logits[i, positions].argmax(dim=-1)))
            return out
        # token_classification: the label index of every token.
        return logits.argmax(dim=-1).tolist()


def main() -> None:
    parser = argparse.ArgumentParser(parents=[model_server.parser])
    parser.add_argument("--model_dir", default="/mnt/models", help="the folder of a saved transformers model and its tokenizer")
    parser.add_argument("--model_id", default=None, help="a local folder (no hub downloads here); --model_dir when absent")
    parser.add_argument("--task", default=None, choices=[*ENCODER_TASKS, "text_generation", "text2text_generation", "text_embedding"])
    parser.add_argument("--max_length", type=int, default=None)
    parser.add_argument("--return_probabilities", action="store_true")
    parser.add_argument("--disable_lower_case", action="store_true")
    parser.add_argument("--return_token_type_ids", action="store_true", default=None)
    parser.add_argument("--dtype", default="auto", choices=list(DTYPES))
    parser.add_argument("--backend", default="huggingface", choices=["auto", "huggingface", "vllm"])
    args, _ = parser.parse_known_args()
    if args.backend == "vllm":
        raise SystemExit("the vllm backend is not installed here: use --backend=huggingface")
    path = args.model_id if args.model_id and os.path.isdir(args.model_id) else args.model_dir
    model = HuggingfaceEncoderModel(args.model_name, path, args.task, args.max_length, args.return_probabilities, not args.disable_lower_case, args.return_token_type_ids, DTYPES[args.dtype])
    model.load()
    ModelServer().start([model])


if __name__ == "__main__":
    main()
