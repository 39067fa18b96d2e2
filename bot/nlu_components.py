"""Our two Rasa NLU components: the text normaliser (first in the pipeline) and the
procedure extractor that reads knowledge/ aliases and patterns."""
from __future__ import annotations

from typing import Any, Dict, List

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.extractors.extractor import EntityExtractorMixin
from rasa.shared.nlu.constants import ENTITIES, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot import normalise, rasa_speedups, understand  # noqa: F401 (rasa_speedups patches on import)


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.MESSAGE_TOKENIZER], is_trainable=False)
class TextNormaliser(GraphComponent):
    """Rewrites the message text before the tokenizer sees it (training and prediction alike)."""

    @classmethod
    def create(cls, config: Dict[str, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> "TextNormaliser":
        return cls()

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        for message in training_data.training_examples:
            self._normalise(message)
        return training_data

    def process(self, messages: List[Message]) -> List[Message]:
        rasa_speedups.freeze_loaded_heap()  # the model is loaded: the first message is here
        for message in messages:
            self._normalise(message)
        return messages

    @staticmethod
    def _normalise(message: Message) -> None:
        text = message.get(TEXT)
        if text and not message.get(ENTITIES):  # annotated examples keep their offsets
            message.set(TEXT, normalise.normalise(text))


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR], is_trainable=False)
class KnowledgeEntityExtractor(GraphComponent, EntityExtractorMixin):
    """Adds `procedure` entities (values are procedure ids) found by bot.understand."""

    @classmethod
    def create(cls, config: Dict[str, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> "KnowledgeEntityExtractor":
        return cls()

    def process(self, messages: List[Message]) -> List[Message]:
        reader = understand.default()
        for message in messages:
            text = message.get(TEXT) or ""
            if text.startswith("/"):
                continue
            found = [
                {"entity": "procedure", "value": pid, "start": start, "end": end,
                 "confidence": 1.0, "extractor": self.__class__.__name__}
                for pid, start, end in reader.procedure_mentions(text)
            ]
            if found:
                message.set(ENTITIES, message.get(ENTITIES, []) + found, add_to_output=True)
        return messages
