package org.llmri.model.bert;

import java.nio.file.Path;
import org.llmri.model.Architecture;

/** BERT encoders ({@code model_type: bert}), run as Hugging Face's {@code BertModel}: they read, never generate. */
public final class BertArchitecture implements Architecture {
    @Override
    public String modelType() {
        return "bert";
    }

    @Override
    public Binder read(Path configJson) {
        BertConfig config = BertConfig.read(configJson);
        return (weights, threads) -> new BertModel(BertWeights.bind(config, weights), threads);
    }
}
