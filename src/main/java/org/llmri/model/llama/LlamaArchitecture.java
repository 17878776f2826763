package org.llmri.model.llama;

import java.nio.file.Path;
import org.llmri.model.Architecture;

/** Llama and its kin ({@code model_type: llama}), run as Hugging Face's {@code LlamaForCausalLM}. */
public final class LlamaArchitecture implements Architecture {
    @Override
    public String modelType() {
        return LlamaConfig.MODEL_TYPE;
    }

    @Override
    public Binder read(Path configJson) {
        LlamaConfig config = LlamaConfig.read(configJson);
        return (weights, threads) -> new LlamaModel(config, weights, threads);
    }
}
