package org.llmri.model.gpt2;

import java.nio.file.Path;
import org.llmri.model.Architecture;

/** GPT-2 ({@code model_type: gpt2}), run as Hugging Face's {@code GPT2LMHeadModel}. */
public final class Gpt2Architecture implements Architecture {
    @Override
    public String modelType() {
        return Gpt2Config.MODEL_TYPE;
    }

    @Override
    public Binder read(Path configJson) {
        Gpt2Config config = Gpt2Config.read(configJson);
        return (weights, threads) -> new Gpt2Model(config, weights, threads);
    }
}
