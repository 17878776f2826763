package org.llmri.model.neox;

import java.nio.file.Path;
import org.llmri.model.Architecture;

/** GPT-NeoX and Pythia ({@code model_type: gpt_neox}), run as Hugging Face's {@code GPTNeoXForCausalLM}. */
public final class NeoxArchitecture implements Architecture {
    @Override
    public String modelType() {
        return NeoxConfig.MODEL_TYPE;
    }

    @Override
    public Binder read(Path configJson) {
        NeoxConfig config = NeoxConfig.read(configJson);
        return (weights, threads) -> new NeoxModel(config, weights, threads);
    }
}
