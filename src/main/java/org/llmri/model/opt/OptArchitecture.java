package org.llmri.model.opt;

import java.nio.file.Path;
import org.llmri.model.Architecture;

/** OPT and Galactica ({@code model_type: opt}), run as Hugging Face's {@code OPTForCausalLM}. */
public final class OptArchitecture implements Architecture {
    @Override
    public String modelType() {
        return "opt";
    }

    @Override
    public Binder read(Path configJson) {
        OptConfig config = OptConfig.read(configJson);
        return (weights, threads) -> new OptModel(OptWeights.bind(config, weights), threads);
    }
}
